import type { KuraConfig } from '@kura/config';
import type { Frontends, LoginCheck } from './after-recovery.js';
import type { SmtpEndpoint } from './delivery-stream.js';
import type { ImapEndpoint } from './imap-load.js';

export const DRILL_NAMES = ['wildduck', 'haraka', 'redis', 'datatier'] as const;

export type DrillName = (typeof DRILL_NAMES)[number];

/** How a drill breaks and repairs the deployment (kill -9 locally; configured commands in production). */
export interface DrillActions {
  kill(): Promise<void>;
  restore(): Promise<void>;
  /** Runs while the component is down (the tests check the status page here). */
  duringOutage?(): Promise<void>;
  /** Runs after the restore (the tests wait for the status page to clear). */
  afterRestore?(): Promise<void>;
  log?(line: string): void;
}

export interface DrillResult {
  drill: DrillName;
  /**
   * Kill (or restore, for the data tier) until the service worked again for every client, in ms.
   * Null when no client was interrupted, so there was nothing to time (the Haraka drill when every
   * sender happened to be between messages).
   */
  recoveryMs: number | null;
  /** Message figures are null (unknown) for a drill that runs no delivery stream: never a made-up zero. */
  messagesAcknowledged: number | null;
  messagesLost: number | null;
  messagesDuplicated: number | null;
  /** 5xx answers (would be bounces); must be zero. Null when the drill sends no mail. */
  permanentFailures: number | null;
  /**
   * Fresh IMAP, POP3 and SMTP sessions (and, for the WildDuck drill, running IMAP
   * sessions) that failed after recovery, measured by every drill; must be zero.
   */
  failuresAfterRecovery: number;
  /** The fresh sessions behind `failuresAfterRecovery`. */
  loginsAfterRecovery: LoginCheck;
  details: Record<string, unknown>;
}

/** What every drill works against: the drill account's view of the deployment's front. */
export interface DrillContext {
  config: KuraConfig;
  imap: ImapEndpoint;
  smtp: SmtpEndpoint;
  frontends: Frontends;
  /** Starts every subject this run sends, so the mailbox count sees only this run's messages. */
  prefix: string;
  log(line: string): void;
}

/** One drill: what it breaks, and how it runs. */
export interface Drill {
  description: string;
  run(context: DrillContext, actions: DrillActions): Promise<DrillResult>;
}
