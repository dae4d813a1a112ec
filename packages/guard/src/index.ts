import path from 'node:path';

/** The guard's executable (started by `kura up --ha` as its own process). */
export const guardBin = path.join(path.dirname(new URL(import.meta.url).pathname), 'bin.js');

// Service accounts, client TLS, line protocol and probes: shared with @kura/drills.
export { type Account, ensureAccount } from './accounts.js';
export { runCanary } from './canary.js';
export { type ClientTls, clientTls, imapflowTls, pop3Port, submissionTls } from './client-tls.js';
export { type FailoverAction, FailoverController } from './failover.js';
export { createGuard, type Guard } from './guard.js';
export { HaproxyRuntime } from './haproxy-runtime.js';
export { type StatusText, statusText } from './i18n/index.js';
export { createMetrics as createGuardMetrics } from './metrics.js';
export { LineConnection } from './net-lines.js';
export { DataTierProbe } from './probes/data-tier.js';
export { probeImap } from './probes/imap.js';
export { probePop3 } from './probes/pop3.js';
export { currentRedisPrimary, probeRedis } from './probes/redis.js';
export { probeSmtp } from './probes/smtp.js';
export { probeSubmission } from './probes/submission.js';
export { runGuard } from './run.js';
export { type Component, GuardState, type Incident, type Status } from './state.js';
export { renderStatusPage } from './status-page.js';
