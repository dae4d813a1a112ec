export { type AccountSummary, deleteAccount, findAccountSummary, listAccounts, updateAccount } from './accounts.js';
export { type AutoReply, activeAutoReply, claimAutoReply, setAutoReply, userAddresses } from './autoreply.js';
export {
  type AutoReplyInput,
  type AutoReplyVerdict,
  addressedToUser,
  autoReplySubject,
  autoReplyVerdict,
  MAX_ECHOED_SUBJECT,
  type ScanStatus,
} from './autoreply-rules.js';
export { type AutoReplyRequest, type AutoReplyResult, autoReplyAfterDelivery, LOOP_HEADER } from './autoreply-send.js';
export { connectRedis, openStore, pingDatabase, pingStore, type Store, type StoreOptions } from './connect.js';
export { type Database, detectTopology, openDatabase, type Topology } from './database.js';
export type { Placement } from './deliver.js';
export { DEFAULT_DUPLICATE_WINDOW_MS, type DeliveryReceipt, type DeliveryRequest, deliverToInbox, ensureStoreIndexes } from './deliver.js';
export { dkimCandidates, normalizeDkimDomain, type SigningKey, signingKeyFor } from './dkim-keys.js';
export { TemporaryStoreError, withTimeout } from './errors.js';
export { applyProjection, installFerretDbCompat } from './ferretdb-compat.js';
export { decideDelivery, type FilterDecision, type FilterRequest, type ForwardCopy, type MailboxTarget } from './filters.js';
export { FORWARD_HEADER, type ForwardEvent, type ForwardJob, MAX_FORWARD_HOPS, queueForwards } from './forwards.js';
export { expectGreeting, type HealthCheck, startHealthEndpoint } from './health-endpoint.js';
export { ensureWildDuckIndexes, wildDuckIndexes } from './indexes.js';
export { ensureLocalTierIndexes, isLocalTier, LOCAL_TIER_INDEXES } from './local-tier-indexes.js';
export {
  checkLogin,
  clearLoginFailures,
  type LoginFailureLimit,
  type LoginVerdict,
  limited as loginLimited,
  loginFailureLogLine,
  recordLoginFailure,
} from './login-failures.js';
export { appendMessage, ensureMailbox, listMailboxes, type MailboxRecord, messageSource, servesUnchanged } from './mailboxes.js';
export {
  type AttemptResult,
  asBuffer,
  type ClaimedEntry,
  claimDsn,
  claimOutbound,
  deferOutbound,
  enqueueOutbound,
  markDsnDone,
  type OutboundEntry,
  type OutboundStatus,
  outboundCounts,
  pendingDsns,
  pruneOutbound,
  type RecipientFailure,
  settleOutbound,
} from './outbound.js';
export {
  findOutbound,
  isObjectIdText,
  listOutbound,
  maskCredentials,
  type OutboundSummary,
  removeOutbound,
  retryOutbound,
} from './outbound-admin.js';
export { holdSender, isHeld, listHolds, releaseSender, type SenderHold } from './outbound-holds.js';
export { copyMimeTree, type MimeNode, type SharedParse } from './parsed-message.js';
export { lookupRecipient, type RecipientLookup } from './recipients.js';
export { checkSendRate, refundSendRate, type SendLimits, type SendRateVerdict } from './send-limits.js';
export { Srs, SrsError, type SrsOptions } from './srs.js';
export { srsFor } from './srs-config.js';
export {
  countSuppressions,
  isSuppressed,
  listSuppressions,
  normalizeAddress,
  type Suppression,
  suppressAddress,
  unsuppressAddress,
} from './suppression.js';
export { outboundSince, type TraceHit, traceMessage } from './trace.js';
export { type AddressTrace, type OutboundTrace, traceAddress } from './trace-address.js';
export { countRepeat, readTopTalkers, recordTraffic, type TopTalkers, type TrafficDimension, type TrafficEvent } from './traffic.js';
export { ensureUser, findUserId, type NewUser } from './users.js';
