export { connectRedis, openStore, pingDatabase, pingStore, type Store, type StoreOptions } from './connect.js';
export { DEFAULT_DUPLICATE_WINDOW_MS, type DeliveryReceipt, type DeliveryRequest, deliverToInbox, ensureStoreIndexes } from './deliver.js';
export { TemporaryStoreError, withTimeout } from './errors.js';
export { applyProjection, installFerretDbCompat } from './ferretdb-compat.js';
export { lookupRecipient, type RecipientLookup } from './recipients.js';
export { ensureUser, findUserId, type NewUser } from './users.js';
export { expectGreeting, type HealthCheck, startHealthEndpoint } from './health-endpoint.js';
export { countRepeat, readTopTalkers, recordTraffic, type TopTalkers, type TrafficDimension, type TrafficEvent } from './traffic.js';
