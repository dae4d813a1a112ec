import { checkSendRate, refundSendRate } from '@kura/store';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../support/redis-server.js';

/** The per-user and per-domain sending budgets, counted in a real Redis shared by two clients (two nodes). */
describe('send limits in Redis', () => {
  let server: TestRedis;
  let nodeA: Redis;
  let nodeB: Redis;

  beforeAll(async () => {
    server = await startRedis();
    nodeA = new Redis(server.url);
    nodeB = new Redis(server.url);
  }, 30_000);

  afterAll(async () => {
    nodeA?.disconnect();
    nodeB?.disconnect();
    await server?.stop();
  });

  const limits = { perUserPerHour: 5, perDomainPerHour: 8 };

  it('counts recipients per user across nodes and names the spent scope with a retry time', async () => {
    const sender = { user: 'u-across', domain: 'across.example.edu' };
    expect(await checkSendRate(nodeA, limits, sender, 3)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeB, limits, sender, 2)).toEqual({ allowed: true });
    const refused = await checkSendRate(nodeA, limits, sender, 1);
    expect(refused).toMatchObject({ allowed: false, scope: 'user' });
    if (refused.allowed) throw new Error('unreachable');
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(7200);
    // Zero recipients asks whether the budget is spent (MAIL FROM time) and charges nothing.
    expect(await checkSendRate(nodeB, limits, sender, 0)).toMatchObject({ allowed: true });
  });

  it('shares the domain budget between its users and charges nothing when refused', async () => {
    const domain = 'shared.example.edu';
    expect(await checkSendRate(nodeA, limits, { user: 'u-one', domain }, 5)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeB, limits, { user: 'u-two', domain }, 4)).toMatchObject({ allowed: false, scope: 'domain' });
    // The refused 4 were not charged to u-two: 3 still fit the domain's remaining budget.
    expect(await checkSendRate(nodeB, limits, { user: 'u-two', domain }, 3)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeA, limits, { user: 'u-three', domain }, 1)).toMatchObject({ allowed: false, scope: 'domain' });
  });

  it('never lets concurrent senders on two nodes exceed the budget', async () => {
    const sender = { user: 'u-race', domain: 'race.example.edu' };
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => checkSendRate(i % 2 ? nodeA : nodeB, { perUserPerHour: 17, perDomainPerHour: 100 }, sender, 1)),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(17);
  });

  it('a refund gives back what a message not accepted was charged, on both scopes, never below zero', async () => {
    const sender = { user: 'u-refund', domain: 'refund.example.edu' };
    expect(await checkSendRate(nodeA, limits, sender, 5)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeB, limits, sender, 1)).toMatchObject({ allowed: false, scope: 'user' });
    await refundSendRate(nodeB, sender, 2);
    expect(await checkSendRate(nodeA, limits, sender, 2)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeA, limits, sender, 1)).toMatchObject({ allowed: false, scope: 'user' });
    // The domain's count came back as well: another user of the domain has its 8 minus the 5 still charged.
    expect(await checkSendRate(nodeB, limits, { user: 'u-refund-2', domain: sender.domain }, 4)).toMatchObject({
      allowed: false,
      scope: 'domain',
    });
    expect(await checkSendRate(nodeB, limits, { user: 'u-refund-2', domain: sender.domain }, 3)).toEqual({ allowed: true });
    // Refunding more than was charged leaves an empty budget, not a larger one.
    await refundSendRate(nodeA, sender, 100);
    expect(await checkSendRate(nodeA, limits, sender, 5)).toEqual({ allowed: true });
    expect(await checkSendRate(nodeA, limits, sender, 1)).toMatchObject({ allowed: false, scope: 'user' });
  });

  it('slides: the previous window still counts, weighted by how much of it remains', async () => {
    const sender = { user: 'u-slide', domain: 'slide.example.edu' };
    const window = 2;
    // Start right after a window boundary so the whole run stays within two windows.
    await new Promise((r) => setTimeout(r, window * 1000 - (Date.now() % (window * 1000)) + 20));
    expect(await checkSendRate(nodeA, limits, sender, 5, window)).toEqual({ allowed: true });
    const refused = await checkSendRate(nodeA, limits, sender, 1, window);
    expect(refused).toMatchObject({ allowed: false, scope: 'user' });
    if (refused.allowed) throw new Error('unreachable');
    // Early in the next window most of the previous one still counts: 5 × (1 - small) + 1 > 5 …
    await new Promise((r) => setTimeout(r, window * 1000 - (Date.now() % (window * 1000)) + 100));
    expect(await checkSendRate(nodeA, limits, sender, 1, window)).toMatchObject({ allowed: false });
    // … but halfway through it half has slid out: room for two.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await checkSendRate(nodeA, limits, sender, 2, window)).toEqual({ allowed: true });
  });
});
