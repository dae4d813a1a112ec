import { isSuppressed, listSuppressions, openStore, type Store, suppressAddress, unsuppressAddress } from '@kura/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTier, startDataTier } from '../support/data-tier.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

/** The suppression list: hard-bounced addresses are refused, with the reason, until they lapse. */
describe('suppression list', () => {
  let tier: DataTier;
  let redis: TestRedis;
  let store: Store;

  beforeAll(async () => {
    [tier, redis] = await Promise.all([startDataTier('suppression', 'suppression'), startRedis()]);
    store = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await Promise.all([tier?.stop(), redis?.stop()]);
  });

  it('refuses a suppressed address in any letter case, with the reason, and extends on a new bounce', async () => {
    expect(await isSuppressed(store, 'gone@example.net')).toBeNull();
    await suppressAddress(store, 'Gone@Example.NET', '550 5.1.1 no such user', 30);
    const first = await isSuppressed(store, 'gone@example.net');
    expect(first).toMatchObject({ _id: 'gone@example.net', reason: '550 5.1.1 no such user', bounces: 1 });
    expect(first?.expires.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    await suppressAddress(store, 'gone@example.net', '550 5.1.1 still no such user', 30);
    expect(await isSuppressed(store, 'GONE@example.net')).toMatchObject({ reason: '550 5.1.1 still no such user', bounces: 2 });
    expect((await listSuppressions(store, { limit: 10 })).map((s) => s._id)).toContain('gone@example.net');
  });

  it('lets an expired suppression lapse and an operator lift one', async () => {
    await suppressAddress(store, 'lapsed@example.net', '550 5.1.1 unknown', 1);
    expect(await isSuppressed(store, 'lapsed@example.net', new Date(Date.now() + 2 * 86_400_000))).toBeNull();
    expect(await unsuppressAddress(store, 'lapsed@example.net')).toBe(true);
    expect(await isSuppressed(store, 'lapsed@example.net')).toBeNull();
    expect(await unsuppressAddress(store, 'lapsed@example.net')).toBe(false);
  });
});
