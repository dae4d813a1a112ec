import { openStore } from '@kura/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTier, startDataTier } from '../support/data-tier.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

/**
 * WildDuck's handlers send some Redis commands without awaiting them. One that
 * lands while the store is closing must not become an unhandled rejection
 * ("Connection is closed.") in the process that closed it: seen failing a test
 * run after every test had passed.
 */
describe('closing the store', () => {
  let tier: DataTier;
  let redis: TestRedis;

  beforeAll(async () => {
    [tier, redis] = await Promise.all([startDataTier('store-close', 'store-close'), startRedis()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([tier?.stop(), redis?.stop()]);
  });

  it('answers a command that fails after close began with nothing instead of a rejection', async () => {
    const store = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url });
    await store.redis.set('kura-close-test', 'before');
    const closing = store.close();
    // Fired and forgotten, as WildDuck's cache updates and event publishing are after a write returns.
    const late = store.redis.set('kura-close-test', 'after close');
    await closing;
    await expect(late).resolves.toBeNull();
    // Redis stopped at QUIT, so the late command was never carried out: the key stays as it was.
    const check = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url });
    try {
      expect(await check.redis.get('kura-close-test')).toBe('before');
    } finally {
      await check.close();
    }
  });
});
