import { type OutboundEntry, openStore, pruneOutbound, type Store } from '@kura/store';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTier, startDataTier } from '../support/data-tier.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

/** Finished outbound entries leave the queue after their keep time; nothing still owed to anyone goes. */
describe('outbound queue pruning', () => {
  let tier: DataTier;
  let redis: TestRedis;
  let store: Store;

  beforeAll(async () => {
    [tier, redis] = await Promise.all([startDataTier('outbound-prune', 'outbound-prune'), startRedis()]);
    store = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await Promise.all([tier?.stop(), redis?.stop()]);
  });

  const day = 86_400_000;
  const now = Date.now();
  const entry = (label: string, fields: Partial<OutboundEntry>): OutboundEntry => ({
    _id: new ObjectId(),
    user: new ObjectId(),
    kind: 'submission',
    envelope: { from: `${label}@example.edu`, to: ['someone@example.net'] },
    raw: Buffer.from('Subject: x\r\n\r\nbody\r\n'),
    status: 'queued',
    attempts: 1,
    nextAttemptAt: new Date(now),
    created: new Date(now - 30 * day),
    ...fields,
  });

  it('removes old sent entries and failed ones whose bounce is done; keeps queued, held, recent and unbounced ones', async () => {
    const old = new Date(now - 20 * day);
    const recent = new Date(now - 2 * day);
    const entries = {
      sentOld: entry('sent-old', { status: 'sent', finishedAt: old }),
      sentRecent: entry('sent-recent', { status: 'sent', finishedAt: recent }),
      sentBeforeFinishedAt: entry('sent-legacy', { status: 'sent' }),
      failedBounced: entry('failed-bounced', { status: 'failed', finishedAt: old, dsnDone: true }),
      failedNoBounceYet: entry('failed-owed', { status: 'failed', finishedAt: old }),
      forwardFailed: entry('forward-failed', { status: 'failed', kind: 'forward', finishedAt: old }),
      queuedOld: entry('queued-old', { status: 'queued' }),
      heldOld: entry('held-old', { status: 'held' }),
      sendingOld: entry('sending-old', { status: 'sending' }),
    };
    const queue = store.db.collection<OutboundEntry>('kura_outbound');
    await queue.insertMany(Object.values(entries));
    const ids = Object.values(entries).map((e) => e._id);

    expect(await pruneOutbound(store, new Date(now - 14 * day))).toBe(4);
    const left = new Set((await queue.find({ _id: { $in: ids } }).toArray()).map((e) => e.envelope.from.split('@')[0]));
    expect([...left].sort()).toEqual(['failed-owed', 'held-old', 'queued-old', 'sending-old', 'sent-recent']);
    // Run again: nothing more to do.
    expect(await pruneOutbound(store, new Date(now - 14 * day))).toBe(0);
  });
});
