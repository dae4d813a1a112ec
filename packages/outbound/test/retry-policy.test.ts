import type { ClaimedEntry } from '@kura/store';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { backoffMs, isHardBounce, retryDeadline, settleAttempt } from '../src/retry-policy.js';
import type { RecipientOutcome } from '../src/smtp-send.js';

const policy = { initialMs: 60_000, maxMs: 3_600_000, maxQueueMs: 5 * 86_400_000 };
const t0 = new Date('2026-04-01T00:00:00Z');

function entry(extra: Partial<ClaimedEntry> = {}): ClaimedEntry {
  return {
    _id: new ObjectId(),
    user: new ObjectId(),
    kind: 'submission',
    envelope: { from: 'a@campus.test', to: ['x@r.test', 'y@r.test'] },
    raw: Buffer.from(''),
    status: 'sending',
    attempts: 1,
    nextAttemptAt: t0,
    created: t0,
    overdueMs: 0,
    ...extra,
  };
}

const outcome = (address: string, result: RecipientOutcome['result'], code: number, message = `${code} reply`): RecipientOutcome => ({
  address,
  result,
  code,
  message,
});

describe('retry policy', () => {
  it('doubles the wait from the first retry and caps it', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy))).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(backoffMs(20, policy)).toBe(3_600_000);
  });

  it('sets the lifetime at the first real attempt and moves it back by time nobody could work on the entry', () => {
    expect(retryDeadline(entry(), policy, t0).getTime()).toBe(t0.getTime() + policy.maxQueueMs);
    const deadline = new Date(t0.getTime() + 1_000);
    expect(retryDeadline(entry({ retryUntil: deadline, overdueMs: 0 }), policy, t0)).toEqual(deadline);
    expect(retryDeadline(entry({ retryUntil: deadline, overdueMs: 7_200_000 }), policy, t0).getTime()).toBe(deadline.getTime() + 7_200_000);
  });

  it('keeps deferred recipients pending, records delivered and failed ones', () => {
    const result = settleAttempt(entry(), [outcome('x@r.test', 'delivered', 250), outcome('y@r.test', 'deferred', 451)], policy, t0);
    expect(result).toMatchObject({ status: 'queued', pending: ['y@r.test'], delivered: ['x@r.test'], failed: [], newlyFailed: [] });
    expect(result.nextAttemptAt.getTime()).toBe(t0.getTime() + 60_000);
  });

  it('fails an entry once no recipient is pending and one failed, even if others were delivered', () => {
    const result = settleAttempt(
      entry(),
      [outcome('x@r.test', 'delivered', 250), outcome('y@r.test', 'failed', 550, '550 5.1.1 unknown')],
      policy,
      t0,
    );
    expect(result.status).toBe('failed');
    expect(result.newlyFailed).toEqual([{ address: 'y@r.test', code: 550, message: '550 5.1.1 unknown' }]);
    expect(settleAttempt(entry(), [outcome('x@r.test', 'delivered', 250), outcome('y@r.test', 'delivered', 250)], policy, t0).status).toBe(
      'sent',
    );
  });

  it('gives up temporarily failing recipients only when the lifetime is spent', () => {
    const spent = entry({ retryUntil: new Date(t0.getTime() - 1) });
    const result = settleAttempt(spent, [outcome('x@r.test', 'deferred', 451, '451 4.4.1 busy')], policy, t0);
    expect(result.status).toBe('failed');
    expect(result.newlyFailed[0]).toMatchObject({ address: 'x@r.test', code: 451 });
    expect(result.newlyFailed[0]?.message).toMatch(/^gave up after retrying until .*: 451 4\.4\.1 busy$/);
    // The same attempt after an outage longer than the remaining lifetime: still queued.
    const outage = entry({ retryUntil: new Date(t0.getTime() - 1), overdueMs: 3_600_000 });
    expect(settleAttempt(outage, [outcome('x@r.test', 'deferred', 451)], policy, t0).status).toBe('queued');
  });

  it('treats bad-mailbox refusals as hard bounces, policy refusals and 4xx not', () => {
    expect(isHardBounce({ code: 550, message: '550 5.1.1 <x@r.test>: user unknown' })).toBe(true);
    expect(isHardBounce({ code: 550, message: '550 5.2.1 mailbox disabled' })).toBe(true);
    expect(isHardBounce({ code: 550, message: 'No such user here' })).toBe(true);
    expect(isHardBounce({ code: 554, message: '554 5.7.1 rejected as spam' })).toBe(false);
    expect(isHardBounce({ code: 552, message: '552 5.2.2 mailbox full' })).toBe(false);
    expect(isHardBounce({ code: 451, message: '451 4.1.1 try later' })).toBe(false);
  });
});
