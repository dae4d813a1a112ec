import path from 'node:path';

/** The guard's executable (started by `kura up --ha` as its own process). */
export const guardBin = path.join(path.dirname(new URL(import.meta.url).pathname), 'bin.js');

export { runCanary } from './canary.js';
export { DRILLS, type DrillActions, type DrillName, type DrillResult, drillAccount, runDrill } from './drills/drills.js';
export { type FailoverAction, FailoverController } from './failover.js';
export { createGuard, type Guard } from './guard.js';
export { HaproxyRuntime } from './haproxy-runtime.js';
export { type StatusText, statusText } from './i18n/index.js';
export { createMetrics as createGuardMetrics } from './metrics.js';
export { DataTierProbe } from './probes/data-tier.js';
export { probeImap } from './probes/imap.js';
export { probePop3 } from './probes/pop3.js';
export { probeRedis } from './probes/redis.js';
export { probeSmtp } from './probes/smtp.js';
export { runGuard } from './run.js';
export { type Component, GuardState, type Incident, type Status } from './state.js';
export { renderStatusPage } from './status-page.js';
