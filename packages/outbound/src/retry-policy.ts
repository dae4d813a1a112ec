import type { AttemptResult, ClaimedEntry, RecipientFailure } from '@kura/store';
import type { RecipientOutcome } from './smtp-send.js';

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** How long a recipient may keep failing temporarily, counted in service time only. */
  maxQueueMs: number;
}

/** The wait before attempt `attempt + 1`: doubling from initialMs, capped at maxMs. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * The deadline after this attempt. It is set by the first real attempt and
 * moved back by every stretch the entry was due but not worked on (the
 * `overdueMs` of the claim: store or queue down, every node stopped), so only
 * time in which Kura could actually try counts against the message.
 */
export function retryDeadline(entry: ClaimedEntry, policy: RetryPolicy, now: Date): Date {
  if (!entry.retryUntil) return new Date(now.getTime() + policy.maxQueueMs);
  return new Date(entry.retryUntil.getTime() + entry.overdueMs);
}

/** Folds one attempt's per-recipient outcomes into the entry's next state. */
export function settleAttempt(
  entry: ClaimedEntry,
  outcomes: RecipientOutcome[],
  policy: RetryPolicy,
  now: Date,
): AttemptResult & { newlyFailed: RecipientFailure[] } {
  const retryUntil = retryDeadline(entry, policy, now);
  const delivered = [...(entry.delivered ?? [])];
  const failed = [...(entry.failed ?? [])];
  const newlyFailed: RecipientFailure[] = [];
  const pending: string[] = [];
  const deferred: RecipientOutcome[] = [];
  for (const outcome of outcomes) {
    if (outcome.result === 'delivered') delivered.push(outcome.address);
    else if (outcome.result === 'failed') newlyFailed.push(failure(outcome, outcome.message));
    else deferred.push(outcome);
  }
  const expired = now.getTime() >= retryUntil.getTime();
  for (const outcome of deferred) {
    if (expired) newlyFailed.push(failure(outcome, `gave up after retrying until ${retryUntil.toISOString()}: ${outcome.message}`));
    else pending.push(outcome.address);
  }
  failed.push(...newlyFailed);
  const lastError = [...newlyFailed, ...deferred].map((o) => `${o.address}: ${o.message}`)[0];
  const status = pending.length > 0 ? 'queued' : failed.length > 0 ? 'failed' : 'sent';
  return {
    status,
    pending,
    delivered,
    failed,
    newlyFailed,
    retryUntil,
    nextAttemptAt: new Date(now.getTime() + (pending.length > 0 ? backoffMs(entry.attempts, policy) : 0)),
    ...(lastError ? { lastError } : {}),
  };
}

function failure(outcome: RecipientOutcome, message: string): RecipientFailure {
  return { address: outcome.address, code: outcome.code, message, ...(outcome.remoteHost ? { remoteHost: outcome.remoteHost } : {}) };
}

/**
 * A refusal that says the address itself is bad (RFC 3463 5.1.x "bad
 * destination mailbox/system", 5.2.1 "mailbox disabled"), or a bare 550/551/553
 * without an enhanced code. Policy refusals (5.7.x spam, 5.2.2 full mailbox)
 * are not: the address is fine, the message or the sender was not.
 */
export function isHardBounce(outcome: { code: number; message: string }): boolean {
  if (outcome.code < 500) return false;
  const enhanced = /\b5\.(\d{1,3})\.(\d{1,3})\b/.exec(outcome.message);
  if (enhanced) return enhanced[1] === '1' || (enhanced[1] === '2' && enhanced[2] === '1');
  return outcome.code === 550 || outcome.code === 551 || outcome.code === 553;
}
