/**
 * haraka-plugin-limit with a Redis client that follows Sentinel failovers.
 *
 * The plugin keeps its counters through haraka-plugin-redis, whose client
 * (node-redis) cannot ask Sentinels for the primary, so admission control used
 * to be switched off in exactly the production topology. This module is the
 * same plugin with two methods replaced: `init_redis_plugin` hands it an
 * adapter over an ioredis client built from Kura's one `redis+sentinel://`
 * URL (credentials included), and `shutdown` closes that client. Counters stay in Redis, so
 * every MX instance shares one budget, as before. HAProxy stick-tables were
 * the alternative; they see only the client address, not senders or
 * recipients, and are per HAProxy instance.
 */
import { createRequire } from 'node:module';
import { connectRedis } from '@kura/store';
import { inboundConfig } from './store-handle.js';

type Redis = ReturnType<typeof connectRedis>;

const require = createRequire(import.meta.url);
const limit = require('haraka-plugin-limit') as Record<string, unknown>;

/** The node-redis (v4) calls haraka-plugin-limit 1.3 makes, served by ioredis. */
export function nodeRedisAdapter(redis: Redis) {
  return {
    get: (key: string) => redis.get(key),
    set: (key: string, value: string | number) => redis.set(key, value),
    incr: (key: string) => redis.incr(key),
    incrBy: (key: string, by: number) => redis.incrby(key, by),
    expire: (key: string, seconds: number) => redis.expire(key, seconds),
    ttl: (key: string) => redis.ttl(key),
    hIncrBy: (key: string, field: string, by: number) => redis.hincrby(key, field, by),
    hGetAll: (key: string) => redis.hgetall(key),
    hDel: (key: string, fields: string | string[]) => redis.hdel(key, ...[fields].flat()),
    async scan(cursor: number | string, options: { MATCH?: string; COUNT?: number }) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', options.MATCH ?? '*', 'COUNT', options.COUNT ?? 100);
      return { cursor: Number(next), keys };
    },
    quit: () => redis.quit(),
  };
}

type LimitPlugin = { db?: unknown };

function init_redis_plugin(this: LimitPlugin, next: () => void): void {
  // Fail fast, never queue: while Redis is away each limit check errs and the plugin lets the mail through
  // (it records the error), rather than holding SMTP sessions until Haraka's plugin timeout.
  const redis = connectRedis(inboundConfig().redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => {});
  this.db = nodeRedisAdapter(redis);
  next();
}

function shutdown(this: LimitPlugin): void {
  void (this.db as { quit?: () => Promise<unknown> } | undefined)?.quit?.().catch(() => undefined);
}

export default { ...limit, init_redis_plugin, shutdown };
