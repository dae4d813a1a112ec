export { openStore, pingDatabase, pingStore, type Store, type StoreOptions } from './connect.js';
export { type Database, detectTopology, openDatabase, type Topology } from './database.js';
export { type DeliveryReceipt, type DeliveryRequest, deliverToInbox } from './deliver.js';
export { TemporaryStoreError, withTimeout } from './errors.js';
export { applyProjection, installFerretDbCompat } from './ferretdb-compat.js';
export { ensureWildDuckIndexes, wildDuckIndexes } from './indexes.js';
export { lookupRecipient, type RecipientLookup } from './recipients.js';
export { ensureUser, findUserId, type NewUser } from './users.js';
