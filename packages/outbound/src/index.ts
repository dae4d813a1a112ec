export { type AgentOptions, type DeliveryAgent, retryPolicy, startDeliveryAgent } from './agent.js';
export type { AgentLog } from './deliver-entry.js';
export { fromDomain, type SignResult, signMessage } from './dkim-sign.js';
export { buildDsn, type DsnInput } from './dsn.js';
export { outboundRegistry } from './metrics.js';
export { backoffMs, isHardBounce, type RetryPolicy, retryDeadline, settleAttempt } from './retry-policy.js';
export { connectMx, mxResolver, RouteError, relayPeer } from './route.js';
export { holdReason, recordSenderOutcomes, resetSenderOutcomes } from './sender-health.js';
export { type RecipientOutcome, type SmtpPeer, sendSmtp } from './smtp-send.js';
