import { enqueueOutbound, findOutbound } from '@kura/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage, eventually, type OutboundRig, startOutboundRig } from '../support/outbound-rig.js';

const RELAY = { user: 'kura-relay', pass: 'relay-secret-0123' };

/**
 * A smart host that requires STARTTLS (its certificate from a campus CA given
 * in outbound.relayCaFile) and AUTH: the agent logs in with the password from
 * the environment. A wrong password is Kura's own fault: the message waits, it
 * neither fails nor bounces.
 */
describe('outbound through an authenticated TLS relay', () => {
  let rig: OutboundRig;

  beforeAll(async () => {
    process.env.KURA_OUTBOUND_RELAY_PASSWORD = 'not-the-password';
    rig = await startOutboundRig('outbound-relay', { relayAuth: RELAY });
  }, 90_000);

  afterAll(async () => {
    delete process.env.KURA_OUTBOUND_RELAY_PASSWORD;
    await rig?.stop();
  });

  it('keeps mail queued while the relay refuses the login, and sends it over TLS once the password is right', async () => {
    const sender = await rig.newSender('relayed');
    const to = ['one@elsewhere.example', 'two@other.example'];
    const id = await enqueueOutbound(rig.store, {
      user: sender.id,
      kind: 'submission',
      envelope: { from: sender.address, to },
      raw: composeMessage(sender.address, to, 'Via the smart host'),
    });
    const refused = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry && entry.attempts >= 2 && entry.status === 'queued' ? entry : undefined;
      },
      15_000,
      'two refused logins',
    );
    expect(refused.lastError).toMatch(/535|auth/i);
    expect(refused.failed ?? []).toEqual([]);
    expect(rig.sink.received).toHaveLength(0);

    process.env.KURA_OUTBOUND_RELAY_PASSWORD = RELAY.pass;
    const sent = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry?.status === 'sent' ? entry : undefined;
      },
      15_000,
      'delivery through the relay',
    );
    expect(sent.delivered?.sort()).toEqual([...to].sort());
    // One transaction for both domains, over TLS, logged in.
    expect(rig.sink.received).toHaveLength(1);
    expect(rig.sink.received[0]).toMatchObject({ secure: true, user: RELAY.user, to });
    expect(await rig.store.db.collection('messages').countDocuments({ user: sender.id })).toBe(0);
  });
});
