export { drillAccount, ensureDrillAccount } from './account.js';
export { type Frontends, type LoginCheck, loginsAfterRecovery } from './after-recovery.js';
export { DeliveryStream, type SmtpEndpoint, type StreamedMessage } from './delivery-stream.js';
export { type ImapEndpoint, ImapLoad } from './imap-load.js';
export { imapLoginOutcome } from './imap-login-outcome.js';
export { DRILL_REGISTRY, DRILLS } from './registry.js';
export { drillContext, runDrill } from './run.js';
export { DRILL_NAMES, type Drill, type DrillActions, type DrillContext, type DrillName, type DrillResult } from './types.js';
