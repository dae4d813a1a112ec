import type { Redis } from 'ioredis';

export interface HoldPolicy {
  failureRate: number;
  minFailures: number;
  windowSeconds: number;
}

/**
 * Adds one attempt's counts to the sender's tally (recipients delivered and
 * refused for good) and returns the tally over the window: this window's
 * counts plus the previous window's, weighted by how much of it still lies in
 * the sliding window. Shared by every node through Redis.
 */
export async function recordSenderOutcomes(
  redis: Redis,
  user: string,
  counts: { delivered: number; failed: number },
  windowSeconds: number,
  now = Date.now(),
): Promise<{ delivered: number; failed: number }> {
  const bucket = Math.floor(now / 1000 / windowSeconds);
  const key = (b: number) => `kura:sender-health:${user}:${b}`;
  const results = await redis
    .multi()
    .hincrby(key(bucket), 'delivered', counts.delivered)
    .hincrby(key(bucket), 'failed', counts.failed)
    .expire(key(bucket), 2 * windowSeconds)
    .hgetall(key(bucket - 1))
    .exec();
  if (!results) throw new Error('Redis dropped the sender tally transaction');
  const [[, delivered], [, failed], , [, previous]] = results as [[null, number], [null, number], unknown, [null, Record<string, string>]];
  const weight = 1 - (now / 1000 - bucket * windowSeconds) / windowSeconds;
  return {
    delivered: Number(delivered) + weight * Number(previous.delivered ?? 0),
    failed: Number(failed) + weight * Number(previous.failed ?? 0),
  };
}

/** The reason to hold the sender, or undefined while their failures stay under the policy. */
export function holdReason(tally: { delivered: number; failed: number }, policy: HoldPolicy): string | undefined {
  const total = tally.delivered + tally.failed;
  if (tally.failed < policy.minFailures || total === 0) return undefined;
  const rate = tally.failed / total;
  if (rate < policy.failureRate) return undefined;
  return `${Math.round(tally.failed)} of ${Math.round(total)} recipients refused or bounced within ${policy.windowSeconds} s (${Math.round(rate * 100)} %, limit ${Math.round(policy.failureRate * 100)} %)`;
}

/** Forgets a sender's tally (after an operator released them: the next failures start from zero). */
export async function resetSenderOutcomes(redis: Redis, user: string, windowSeconds: number, now = Date.now()): Promise<void> {
  const bucket = Math.floor(now / 1000 / windowSeconds);
  await redis.del(`kura:sender-health:${user}:${bucket}`, `kura:sender-health:${user}:${bucket - 1}`);
}
