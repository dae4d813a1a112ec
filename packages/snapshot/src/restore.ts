/**
 * Restoring snapshots, one job per module: restore-full.ts (a whole snapshot
 * into an empty store), restore-partial.ts (one user or mailbox into the live
 * store) with its decisions in restore-plan.ts, its attachments in
 * restore-attachments.ts and its messages in restore-messages.ts;
 * restore-common.ts holds what they share.
 */
export type { Notifier, RestoreTarget } from './restore-common.js';
export { assertEmpty, type FullRestoreOptions, type FullRestoreReport, restoreFull } from './restore-full.js';
export { type PartialRestoreOptions, type PartialRestoreReport, restorePartial } from './restore-partial.js';
export { type MailboxDecision, type MailboxReport, matchesUser, messageKey, planMailbox } from './restore-plan.js';
