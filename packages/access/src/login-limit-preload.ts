/**
 * Preloaded (`node --import`) into a WildDuck instance of the secured
 * profile: the per-IP failed-login limit, shared by IMAP, POP3 and the API's
 * /authenticate on every instance through Redis (@kura/store's
 * login-failures, which the submission server uses too).
 *
 * WildDuck already asks `UserHandler#rateLimitIP` before every password check
 * and again for every failure (unknown user or wrong password), and refuses
 * the login with its "rate limited" answer when told to; the pinned version
 * only has the limit set to 0. Replacing that one method, rather than
 * patching WildDuck, keeps a single counter and log line for every Kura
 * frontend. The method's name is checked at start: a WildDuck without it
 * stops here instead of running unlimited.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { checkLogin, type LoginFailureLimit, limited, loginFailureLogLine, recordLoginFailure } from '@kura/store/login-failures';

const wildduckMain = process.argv[1];
const limit: LoginFailureLimit = {
  failures: Number(process.env.KURA_LOGIN_FAILURES ?? 0),
  windowSeconds: Number(process.env.KURA_LOGIN_WINDOW_SECONDS ?? 300),
  blockSeconds: Number(process.env.KURA_LOGIN_BLOCK_SECONDS ?? 900),
  exempt: (process.env.KURA_LOGIN_EXEMPT ?? '').split(',').filter(Boolean),
};

interface AuthMeta {
  ip?: string;
  protocol?: string;
  requiredScope?: string;
}
type Redis = Parameters<typeof checkLogin>[0];
type RateLimitIP = (this: { redis: Redis }, meta: AuthMeta | undefined, count: number) => Promise<{ success: boolean; ttl?: number }>;

if (wildduckMain && limit.failures > 0) {
  const require = createRequire(wildduckMain);
  const UserHandler = require(path.join(path.dirname(wildduckMain), 'lib', 'user-handler.js')) as {
    prototype: { rateLimitIP?: RateLimitIP };
  };
  if (typeof UserHandler.prototype.rateLimitIP !== 'function') {
    throw new Error('this WildDuck version has no UserHandler#rateLimitIP: the per-IP login limit cannot be applied');
  }
  const write = (line: string) => process.stderr.write(`${line}\n`);
  UserHandler.prototype.rateLimitIP = async function (meta, count) {
    const ip = meta?.ip;
    // No address (an API call without `ip`) or one of Kura's own clients: not counted, not logged.
    if (!ip || !limited(limit, ip)) return { success: true };
    const service = (meta?.protocol ?? meta?.requiredScope ?? 'unknown').toLowerCase();
    try {
      if (count > 0) {
        const verdict = await recordLoginFailure(this.redis, ip, limit);
        write(loginFailureLogLine({ ip, service, outcome: 'failed', verdict, limit }));
        return { success: verdict.allowed, ttl: verdict.retryAfterSeconds };
      }
      const verdict = await checkLogin(this.redis, ip, limit);
      if (!verdict.allowed) write(loginFailureLogLine({ ip, service, outcome: 'refused', verdict, limit }));
      return { success: verdict.allowed, ttl: verdict.retryAfterSeconds };
    } catch (err) {
      // Redis unreachable: the login itself needs Redis and fails on its own; do not add a second refusal.
      write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'error',
          msg: 'login limit unavailable',
          ip,
          error: (err as Error).message,
        }),
      );
      return { success: true };
    }
  };
}
