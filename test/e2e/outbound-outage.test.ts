import { enqueueOutbound, findOutbound } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage, eventually, type OutboundRig, REMOTE_DOMAIN, startOutboundRig } from '../support/outbound-rig.js';

const LIFETIME_SECONDS = 5;
const OUTAGE_MS = 8_000;

/**
 * "Failure notices too sensitive": a message's lifetime in the queue counts
 * only time in which Kura could try to deliver it. A stalled data tier longer
 * than the whole lifetime must not turn the next temporary failure into a
 * bounce; the bounce comes once the lifetime was really spent trying.
 */
describe('outbound queue during a storage outage', () => {
  let rig: OutboundRig;

  beforeAll(async () => {
    rig = await startOutboundRig('outbound-outage', {
      // The remote MX keeps answering "try later".
      rcpt: () => ({ code: 451, message: '4.4.1 remote end busy' }),
      outbound: { retryInitialSeconds: 2, retryMaxSeconds: 2, maxQueueDays: LIFETIME_SECONDS / 86_400 },
    });
  }, 90_000);

  afterAll(async () => {
    rig?.tier.resume();
    await rig?.stop();
  });

  const inbox = (user: ObjectId) => rig.store.db.collection('messages').countDocuments({ user });

  it('sends no bounce for time the store was down, and exactly one once the lifetime was spent trying', async () => {
    const sender = await rig.newSender('outage');
    const to = `waiting-${sender.username}@${REMOTE_DOMAIN}`;
    const id = await enqueueOutbound(rig.store, {
      user: sender.id,
      kind: 'submission',
      envelope: { from: sender.address, to: [to] },
      raw: composeMessage(sender.address, [to], 'Through the outage'),
    });
    const first = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry?.status === 'queued' && entry.attempts === 1 ? entry : undefined;
      },
      10_000,
      'the first attempt',
    );
    const firstDeadline = first.retryUntil?.getTime() ?? 0;
    expect(firstDeadline).toBeGreaterThan(Date.now());

    // The data tier stalls for longer than the message's whole lifetime.
    rig.tier.pause();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    rig.tier.resume();
    expect(Date.now()).toBeGreaterThan(firstDeadline);

    // The first attempt after the outage fails temporarily again: still queued, deadline moved by the outage, no bounce.
    const after = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry && entry.attempts >= 2 && entry.status !== 'sending' ? entry : undefined;
      },
      30_000,
      'an attempt after the outage',
    );
    expect(after.status).toBe('queued');
    expect(after.retryUntil?.getTime()).toBeGreaterThan(firstDeadline + OUTAGE_MS - 3_000);
    expect(await inbox(sender.id)).toBe(0);

    // Once the lifetime is used up by real attempts: failed, and one bounce saying the time ran out.
    const failed = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry?.status === 'failed' ? entry : undefined;
      },
      20_000,
      'the final failure',
    );
    expect(failed.failed?.[0]).toMatchObject({ address: to, code: 451 });
    expect(failed.failed?.[0]?.message).toMatch(/^gave up after retrying until/);
    await eventually(async () => (await inbox(sender.id)) === 1, 10_000, 'the bounce');
    await new Promise((r) => setTimeout(r, 500));
    expect(await inbox(sender.id)).toBe(1);
    const dsn = await rig.store.db.collection('messages').findOne({ user: sender.id }, { projection: { subject: 1 } });
    expect(dsn?.subject).toBe('Undelivered Mail Returned to Sender');
  });
});
