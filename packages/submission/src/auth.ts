import type { KuraConfig } from '@kura/config';
import type { Redis } from 'ioredis';
import { smtpError } from './errors.js';
import { authAttempts } from './metrics.js';
import type { WildDuckApi } from './wildduck-api.js';

/** Who a session logged in as. */
export interface SubmissionUser {
  id: string;
  username: string;
}

/** WildDuck answers 403 with these codes when it could not check the password at all (not a wrong password). */
const TEMPORARY_CODES = /^(InternalDatabaseError|HashError|RateLimited)/;

/**
 * AUTH PLAIN / LOGIN against WildDuck's `POST /authenticate` with scope
 * "smtp", so application-specific passwords work and WildDuck's own
 * authentication log sees the login. Failed logins are counted per client
 * address in Redis (shared by every submission instance): each failure is
 * answered later than the last, and past the limit every AUTH from that
 * address is refused without asking WildDuck.
 */
export function authenticator(config: KuraConfig, api: WildDuckApi, redis: Redis) {
  const { authFailuresPerIp, authFailureWindowSeconds, authFailureDelayMs } = config.submission;
  const key = (ip: string) => `kura:submission:auth-failures:${ip}`;

  return async function login(username: string, password: string, ip: string, session: string): Promise<SubmissionUser> {
    const failures = Number(await redis.get(key(ip)).catch(() => 0)) || 0;
    if (failures >= authFailuresPerIp) {
      authAttempts.inc({ result: 'limited' });
      throw smtpError(454, '4.7.0', `Too many failed logins from ${ip}; try again in ${Math.ceil(authFailureWindowSeconds / 60)} minutes`);
    }
    let answer: Awaited<ReturnType<WildDuckApi>>;
    try {
      answer = await api('POST', '/authenticate', { username, password, scope: 'smtp', protocol: 'SMTP', ip, sess: session });
    } catch {
      authAttempts.inc({ result: 'tempfailed' });
      throw smtpError(454, '4.7.0', 'Temporary authentication failure, try again later');
    }
    const { status, json } = answer;
    if (status === 200 && json.success === true && typeof json.id === 'string' && !json.require2fa) {
      authAttempts.inc({ result: 'accepted' });
      return { id: json.id, username: String(json.username ?? username) };
    }
    // A user name WildDuck cannot even parse is a wrong login like any other, not trouble on Kura's side.
    const malformed = status === 400 && json.code === 'InputValidationError';
    if ((status !== 403 && !malformed) || TEMPORARY_CODES.test(String(json.code ?? ''))) {
      authAttempts.inc({ result: 'tempfailed' });
      throw smtpError(454, '4.7.0', 'Temporary authentication failure, try again later');
    }
    const count = await redis
      .multi()
      .incr(key(ip))
      .expire(key(ip), authFailureWindowSeconds)
      .exec()
      .then((r) => Number(r?.[0]?.[1] ?? failures + 1))
      .catch(() => failures + 1);
    // Each failure from the same address waits longer: guessing gets slow long before the limit.
    await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, authFailureDelayMs * count)));
    authAttempts.inc({ result: 'rejected' });
    const hint = json.require2fa ? ' (two-factor accounts need an application-specific password)' : '';
    throw smtpError(535, '5.7.8', `Authentication credentials invalid${hint}`);
  };
}

export type Login = ReturnType<typeof authenticator>;
