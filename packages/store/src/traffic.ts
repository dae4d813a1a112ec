import type { Redis } from 'ioredis';

/**
 * Who sends how much, per minute, in Redis sorted sets shared by every MX:
 * the question nobody could answer during the 2011 flood. One set per
 * dimension and minute; members are the client IP, envelope sender or
 * recipient, scores are recipient attempts (accepted or not).
 */
export type TrafficDimension = 'ip' | 'sender' | 'recipient';
const DIMENSIONS: TrafficDimension[] = ['ip', 'sender', 'recipient'];
const KEEP_SECONDS = 3600;

const minuteOf = (time: number) => Math.floor(time / 60_000);
const key = (dimension: TrafficDimension, minute: number) => `kura:traffic:${dimension}:${minute}`;

export interface TrafficEvent {
  ip: string;
  sender: string;
  recipient: string;
}

export async function recordTraffic(redis: Redis, event: TrafficEvent, now = Date.now()): Promise<void> {
  const minute = minuteOf(now);
  const pipeline = redis.multi();
  for (const dimension of DIMENSIONS) {
    const k = key(dimension, minute);
    pipeline.zincrby(k, 1, event[dimension] || '<>');
    pipeline.expire(k, KEEP_SECONDS);
  }
  await pipeline.exec();
}

export type TopTalkers = Record<TrafficDimension, Array<{ name: string; count: number }>>;

/** The busiest members of each dimension over the last `minutes` minutes (current minute included). */
export async function readTopTalkers(redis: Redis, minutes: number, limit: number, now = Date.now()): Promise<TopTalkers> {
  const current = minuteOf(now);
  const result = {} as TopTalkers;
  for (const dimension of DIMENSIONS) {
    const totals = new Map<string, number>();
    const pipeline = redis.pipeline();
    for (let m = current - minutes + 1; m <= current; m++) pipeline.zrange(key(dimension, m), 0, -1, 'WITHSCORES');
    for (const [err, flat] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const pairs = flat as string[];
      for (let i = 0; i < pairs.length; i += 2)
        totals.set(pairs[i] as string, (totals.get(pairs[i] as string) ?? 0) + Number(pairs[i + 1]));
    }
    result[dimension] = [...totals]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, limit);
  }
  return result;
}

/**
 * Counts arrivals of the same content for the same recipient within a window
 * (loop brake); returns the count including this one.
 */
export async function countRepeat(redis: Redis, fingerprint: string, windowSeconds: number): Promise<number> {
  const k = `kura:repeat:${fingerprint}`;
  const [[, count] = [null, 0]] = ((await redis.multi().incr(k).expire(k, windowSeconds, 'NX').exec()) ?? []) as Array<[unknown, number]>;
  return Number(count);
}
