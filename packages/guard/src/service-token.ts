import crypto from 'node:crypto';
import { GUARD_API_ROLE, GUARD_API_USER, guardApiToken, isSecured, type KuraConfig, redisConnectionOptions } from '@kura/config';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Registers the guard's narrow API token (role `kura-guard`: look up and
 * create accounts) in WildDuck's token store, signed the way WildDuck checks
 * it (HMAC of token, user and role with `apiSigningSecret`). Without an expiry
 * it stays valid until the signing secret changes; idempotent, so the guard
 * and `kura drill` run it at every start.
 */
export async function ensureGuardApiToken(config: KuraConfig, timeoutMs = 5_000): Promise<void> {
  if (!isSecured(config)) return;
  const token = guardApiToken(config);
  const signed = JSON.stringify({ token, user: GUARD_API_USER, role: GUARD_API_ROLE });
  const s = crypto.createHmac('sha256', config.secrets.apiSigningSecret).update(signed).digest('hex');
  const key = `tn:token:${crypto.createHash('sha256').update(token).digest('hex')}`;
  const options: RedisOptions = { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 1 };
  const target = redisConnectionOptions(config.redisUrl);
  const redis = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...target });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.hset(key, { user: GUARD_API_USER, role: GUARD_API_ROLE, created: String(Date.now()), s });
  } finally {
    redis.disconnect();
  }
}
