import type { Redis } from 'ioredis';

export interface SendLimits {
  /** Recipients one user may send to per hour, over everything Kura sends for the user. */
  perUserPerHour: number;
  /** Recipients all users of one sender domain together may send to per hour. */
  perDomainPerHour: number;
}

export type SendRateVerdict = { allowed: true } | { allowed: false; scope: 'user' | 'domain'; retryAfterSeconds: number };

/**
 * A sliding-window counter per scope (the current hour's count plus the
 * previous hour's, weighted by how much of it still lies in the window), kept
 * in Redis so that every node counts against the same budget. Both scopes are
 * checked and, only if both allow it, charged, in one script: two nodes can
 * never both take the last slot. Returns [0, 0] when allowed, else [scope
 * index, seconds until the message would fit].
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local elapsed = now % window
for i = 1, 2 do
  local limit = tonumber(ARGV[3 + i])
  local cur = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if prev * (1 - elapsed / window) + cur + n > limit then
    local wait
    if cur + n <= limit then
      wait = (prev + cur + n - limit) * window / prev - elapsed
    elseif n <= limit and cur > 0 then
      wait = window - elapsed + (cur + n - limit) * window / cur
    else
      wait = 2 * window - elapsed
    end
    return {i, math.max(1, math.ceil(wait))}
  end
end
for i = 1, 2 do
  redis.call('INCRBY', KEYS[2 * i - 1], n)
  redis.call('EXPIRE', KEYS[2 * i - 1], 2 * window)
end
return {0, 0}
`;

/**
 * Charges `recipients` against the sender's hourly budgets (user and domain)
 * if both have room, else says which one is spent and when to try again.
 * `recipients` 0 only asks whether the budget is already spent (MAIL FROM
 * time). `sender.user` is the user's id (hex); `windowSeconds` exists for tests.
 */
export async function checkSendRate(
  redis: Redis,
  limits: SendLimits,
  sender: { user: string; domain: string },
  recipients: number,
  windowSeconds = 3600,
): Promise<SendRateVerdict> {
  const nowSeconds = Date.now() / 1000;
  const bucket = Math.floor(nowSeconds / windowSeconds);
  const user = `kura:send-rate:user:${sender.user}`;
  const domain = `kura:send-rate:domain:${sender.domain.toLowerCase()}`;
  const keys = [`${user}:${bucket}`, `${user}:${bucket - 1}`, `${domain}:${bucket}`, `${domain}:${bucket - 1}`];
  const [scope, retryAfterSeconds] = (await redis.eval(
    SCRIPT,
    keys.length,
    ...keys,
    nowSeconds,
    windowSeconds,
    recipients,
    limits.perUserPerHour,
    limits.perDomainPerHour,
  )) as [number, number];
  if (scope === 0) return { allowed: true };
  return { allowed: false, scope: scope === 1 ? 'user' : 'domain', retryAfterSeconds };
}

// Takes back what a charge took from the current window of both scopes, never below zero.
const REFUND = `
for i = 1, 2 do
  local left = tonumber(redis.call('GET', KEYS[i]) or '0') - tonumber(ARGV[1])
  if left > 0 then
    redis.call('SET', KEYS[i], left, 'KEEPTTL')
  else
    redis.call('DEL', KEYS[i])
  end
end
return 0
`;

/**
 * Gives back `recipients` charged by {@link checkSendRate} for a message that
 * was then not accepted (the store answered 451): a client's retry is charged
 * again, so without this every temporary failure would spend budget twice.
 * Refunds the current window; a charge made in the previous hour's last moment
 * is refunded from the new hour, never below zero.
 */
export async function refundSendRate(
  redis: Redis,
  sender: { user: string; domain: string },
  recipients: number,
  windowSeconds = 3600,
): Promise<void> {
  if (recipients <= 0) return;
  const bucket = Math.floor(Date.now() / 1000 / windowSeconds);
  const keys = [`kura:send-rate:user:${sender.user}:${bucket}`, `kura:send-rate:domain:${sender.domain.toLowerCase()}:${bucket}`];
  await redis.eval(REFUND, keys.length, ...keys, recipients);
}
