import type { Redis } from 'ioredis';

/**
 * Failed logins per client IP, counted in Redis so that every frontend on
 * every node (IMAP, POP3, the API's /authenticate, submission) shares one
 * budget: after `failures` failures within `windowSeconds`, logins from that
 * IP are refused for `blockSeconds`. Only failures count; a refused attempt
 * neither counts nor extends the block.
 *
 * A frontend calls `checkLogin` before checking a password (refuse when not
 * allowed: SMTP `454 4.7.0`, IMAP `NO`, POP3 `-ERR`), `recordLoginFailure`
 * after a wrong one, and writes `loginFailureLogLine` to its log for both
 * (deploy/fail2ban reads those lines). The limit is `security.loginFailures`.
 */
export interface LoginFailureLimit {
  /** Failures that block the IP; 0 switches the limit off. */
  failures: number;
  windowSeconds: number;
  blockSeconds: number;
  /** Addresses never counted or refused: Kura's own clients (the guard's probes log in with the canary). */
  exempt?: readonly string[];
}

export interface LoginVerdict {
  allowed: boolean;
  /** Failures counted for this IP in the current window (or block). */
  failures: number;
  /** Seconds until the IP may try again (0 when allowed). */
  retryAfterSeconds: number;
}

const key = (ip: string) => `kura:login-failures:${ip}`;

// One round trip, atomic across nodes: count, start the window on the first
// failure, and turn the window into the block on the failure that reaches the limit.
const RECORD = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n == tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {n, redis.call('TTL', KEYS[1])}`;

/** Is `ip` subject to the limit at all? */
export const limited = (limit: LoginFailureLimit, ip: string): boolean => limit.failures > 0 && !limit.exempt?.includes(ip);

const verdict = (limit: LoginFailureLimit, failures: number, ttl: number): LoginVerdict => {
  const allowed = limit.failures === 0 || failures < limit.failures;
  return { allowed, failures, retryAfterSeconds: allowed ? 0 : Math.max(ttl, 1) };
};

/** May `ip` try to log in now? */
export async function checkLogin(redis: Redis, ip: string, limit: LoginFailureLimit): Promise<LoginVerdict> {
  if (!limited(limit, ip)) return verdict(limit, 0, 0);
  const replies = ((await redis.multi().get(key(ip)).ttl(key(ip)).exec()) ?? []) as Array<[Error | null, unknown]>;
  const [count, ttl] = replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  return verdict(limit, Number(count ?? 0), Number(ttl ?? 0));
}

/** Counts one failed login from `ip`; the verdict says whether the next attempt is still allowed. */
export async function recordLoginFailure(redis: Redis, ip: string, limit: LoginFailureLimit): Promise<LoginVerdict> {
  if (!limited(limit, ip)) return verdict(limit, 0, 0);
  const [count, ttl] = (await redis.eval(RECORD, 1, key(ip), limit.windowSeconds, limit.blockSeconds, limit.failures)) as [number, number];
  return verdict(limit, count, ttl);
}

/** Lifts the block of `ip` (operator command, tests). */
export async function clearLoginFailures(redis: Redis, ip: string): Promise<void> {
  await redis.del(key(ip));
}

/**
 * One log line per failed or refused login, the same on every frontend, so
 * that one fail2ban filter (deploy/fail2ban/filter.d/kura.conf) matches all
 * of them. `ip` is the client's address (PROXY protocol behind HAProxy).
 */
export function loginFailureLogLine(event: {
  ip: string;
  service: string;
  outcome: 'failed' | 'refused';
  verdict: LoginVerdict;
  limit: LoginFailureLimit;
  now?: Date;
}): string {
  const { ip, service, outcome, verdict: v, limit } = event;
  return JSON.stringify({
    time: (event.now ?? new Date()).toISOString(),
    level: 'warn',
    msg: outcome === 'failed' ? 'login failed' : 'login refused: too many failures from this address',
    event: `kura-login-${outcome}`,
    ip,
    service,
    failures: v.failures,
    limit: limit.failures,
    ...(v.allowed ? {} : { retryAfterSeconds: v.retryAfterSeconds }),
  });
}
