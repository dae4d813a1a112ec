import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { outboundRegistry } from '@kura/outbound';
import { enqueueOutbound, findOutbound, isSuppressed, messageSource } from '@kura/store';
import { dkimVerify } from 'mailauth';
import type { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  composeMessage,
  eventually,
  type OutboundRig,
  REMOTE_DOMAIN,
  SELECTOR,
  SENDER_DOMAIN,
  startOutboundRig,
} from '../support/outbound-rig.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The first attempt of each such address is answered 451, later ones are accepted. */
const flaky = new Set<string>();

/**
 * The delivery agent over real sockets: MX found through a DNS server on
 * loopback, a sink MX with STARTTLS, DKIM verified by mailauth against the
 * published record, retries, bounces, suppression and sender holds.
 */
describe('outbound delivery agent', () => {
  let rig: OutboundRig;

  beforeAll(async () => {
    rig = await startOutboundRig('outbound', {
      rcpt: (address) => {
        if (address.startsWith('gone')) return { code: 550, message: `5.1.1 <${address}>: no such user here` };
        if (address.startsWith('trap')) return { code: 554, message: '5.7.1 message refused as spam' };
        if (address.startsWith('busy') && !flaky.has(address)) {
          flaky.add(address);
          return { code: 451, message: '4.3.2 try again later' };
        }
        return undefined;
      },
      // Forwards are charged against the per-user budget when first sent (submissions at RCPT time, elsewhere).
      outbound: { hold: { minFailures: 3, failureRate: 0.5, windowSeconds: 3600 }, perUserPerHour: 5 },
    });
  }, 90_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const submit = (user: ObjectId, from: string, to: string[], subject: string) =>
    enqueueOutbound(rig.store, { user, kind: 'submission', envelope: { from, to }, raw: composeMessage(from, to, subject) });

  const settled = (id: ObjectId, statuses: string[] = ['sent', 'failed']) =>
    eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry && statuses.includes(entry.status) ? entry : undefined;
      },
      15_000,
      `entry ${id} to reach ${statuses.join('/')}`,
    );

  const inbox = async (user: ObjectId) =>
    rig.store.db
      .collection('messages')
      .find({ user }, { projection: { _id: 1 } })
      .toArray();

  it('finds the MX through DNS, uses STARTTLS, and signs with a DKIM key that verifies against the published record', async () => {
    const sender = await rig.newSender('signer');
    const to = `reader@${REMOTE_DOMAIN}`;
    const id = await submit(sender.id, sender.address, [to], 'Signed and sealed');
    expect((await settled(id)).status).toBe('sent');
    const got = rig.sink.received.find((m) => m.to.includes(to));
    expect(got?.secure).toBe(true);
    expect(got?.from).toBe(sender.address);
    const resolver = async (name: string, type: string) => {
      const { promises } = await import('node:dns');
      const r = new promises.Resolver();
      r.setServers([rig.dns.address]);
      return r.resolve(name, type as 'TXT');
    };
    const verdict = await dkimVerify(got?.raw as Buffer, { resolver: resolver as never });
    expect(verdict.results).toHaveLength(1);
    expect(verdict.results[0]).toMatchObject({ signingDomain: SENDER_DOMAIN, selector: SELECTOR, status: { result: 'pass' } });
    expect(rig.dns.queries).toContain(`MX ${REMOTE_DOMAIN}`);
  });

  it('retries a 4xx and delivers on the next attempt', async () => {
    const sender = await rig.newSender('patient');
    const to = `busy-${sender.username}@${REMOTE_DOMAIN}`;
    const id = await submit(sender.id, sender.address, [to], 'Second time lucky');
    const entry = await settled(id);
    expect(entry).toMatchObject({ status: 'sent', attempts: 2, delivered: [to] });
    expect(rig.rcpts.filter((r) => r === to)).toHaveLength(2);
    expect(await inbox(sender.id)).toHaveLength(0); // no bounce for a message that arrived
  });

  it('retries while the MX refuses connections, and fails a domain that does not exist at once', async () => {
    const sender = await rig.newSender('unreachable');
    const closed = await submit(sender.id, sender.address, ['someone@closed.test'], 'Nobody listens');
    const retried = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, closed);
        return entry && entry.attempts >= 2 && entry.status === 'queued' ? entry : undefined;
      },
      15_000,
      'a second attempt',
    );
    expect(retried.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(retried.failed ?? []).toEqual([]);
    const nowhere = await settled(await submit(sender.id, sender.address, ['someone@nowhere.test'], 'No such domain'));
    expect(nowhere).toMatchObject({ status: 'failed', attempts: 1 });
    expect(nowhere.failed?.[0]).toMatchObject({ address: 'someone@nowhere.test', code: 0 });
    // Its bounce is stored right after: wait for it, so no later test counts it as its own.
    await eventually(async () => (await inbox(sender.id)).length === 1, 10_000, 'the bounce for nowhere.test');
  });

  it('bounces a 5xx once to the sender (RFC 3464), suppresses the address and refuses the next message to it', async () => {
    const sender = await rig.newSender('bounced');
    const gone = `gone-${sender.username}@${REMOTE_DOMAIN}`;
    const fine = `fine-${sender.username}@${REMOTE_DOMAIN}`;
    const before = await dsnCount();
    const id = await submit(sender.id, sender.address, [gone, fine], 'To a missing mailbox');
    const entry = await settled(id);
    expect(entry).toMatchObject({ status: 'failed', delivered: [fine] });
    expect(entry.failed?.[0]).toMatchObject({ address: gone, code: 550 });
    // Exactly one bounce, stored in the sender's INBOX, naming only the failed recipient.
    const bounces = await eventually(
      async () => ((await inbox(sender.id)).length > 0 ? inbox(sender.id) : undefined),
      10_000,
      'the bounce',
    );
    expect(bounces).toHaveLength(1);
    const raw = await rawOf(bounces[0]?._id as ObjectId);
    expect(raw).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/);
    expect(raw).toMatch(/Content-Type: message\/delivery-status/);
    expect(raw).toContain(`Final-Recipient: rfc822; ${gone}`);
    expect(raw).toMatch(/Action: failed\r\nStatus: 5\.1\.1/);
    expect(raw).toContain('Diagnostic-Code: smtp; 550 5.1.1');
    expect(raw).not.toContain(`Final-Recipient: rfc822; ${fine}`);
    // The counter moves once the agent's store call has returned, a moment after the bounce is visible.
    await eventually(async () => (await dsnCount()) === before + 1, 5_000, 'kura_outbound_dsns_total to count the bounce');
    expect(await dsnCount()).toBe(before + 1);

    expect(await isSuppressed(rig.store, gone)).toMatchObject({ reason: expect.stringContaining('5.1.1') });
    const asked = rig.rcpts.filter((r) => r === gone).length;
    const again = await settled(await submit(sender.id, sender.address, [gone], 'Once more'));
    expect(again.failed?.[0]?.message).toMatch(/^suppressed: /);
    expect(rig.rcpts.filter((r) => r === gone)).toHaveLength(asked); // the MX was not asked again
    // The first bounce, and one for the refused second message; then no more.
    await eventually(async () => (await inbox(sender.id)).length === 2, 10_000, 'the second bounce');
    await new Promise((r) => setTimeout(r, 500));
    expect(await inbox(sender.id)).toHaveLength(2);
  });

  it('holds a sender whose recipients are refused at a high rate, keeps their mail, and lets it go on `kura queue release`', async () => {
    const sender = await rig.newSender('spammy');
    const traps = [1, 2, 3, 4].map((n) => `trap${n}-${sender.username}@${REMOTE_DOMAIN}`);
    await settled(await submit(sender.id, sender.address, traps, 'Buy now'));
    const held = await eventually(
      async () => (await rig.store.db.collection('kura_outbound_holds').findOne({ _id: sender.id })) ?? undefined,
    );
    expect(held.reason).toMatch(/4 of 4 recipients refused/);

    const friend = `friend-${sender.username}@${REMOTE_DOMAIN}`;
    const waiting = await submit(sender.id, sender.address, [friend], 'Held back');
    await new Promise((r) => setTimeout(r, 800)); // several polls: a held entry is never claimed
    expect((await findOutbound(rig.store, waiting))?.status).toBe('held');
    expect(rig.rcpts).not.toContain(friend);

    const listed = await kura(['queue', 'list', '--status', 'held', '--json']);
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toContain(waiting.toHexString());
    const released = await kura(['queue', 'release', sender.username, '--json']);
    expect(JSON.parse(released.stdout)).toMatchObject({ event: 'released', messages: 1 });
    expect((await settled(waiting)).status).toBe('sent');
    expect(rig.rcpts).toContain(friend);

    const notHeld = await kura(['queue', 'release', sender.username]).catch((err: { code: number; stderr: string }) => err);
    expect(notHeld).toMatchObject({ code: 1, stderr: expect.stringContaining('is not held') });
  });

  it("charges forwards to the user's hourly budget when first sent and keeps one over budget waiting, unsent", async () => {
    const sender = await rig.newSender('forwarder');
    const forward = (to: string[]) =>
      enqueueOutbound(rig.store, {
        user: sender.id,
        kind: 'forward',
        envelope: { from: sender.address, to },
        raw: composeMessage(sender.address, to, 'Fwd'),
      });
    const first = ['f1', 'f2', 'f3'].map((n) => `${n}-${sender.username}@${REMOTE_DOMAIN}`);
    expect((await settled(await forward(first))).status).toBe('sent');
    const second = ['f4', 'f5', 'f6'].map((n) => `${n}-${sender.username}@${REMOTE_DOMAIN}`);
    const waiting = await forward(second);
    const deferred = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, waiting);
        return entry?.lastError ? entry : undefined;
      },
      10_000,
      'the budget verdict',
    );
    expect(deferred).toMatchObject({ status: 'queued', attempts: 0, lastError: 'user send budget spent' });
    expect(deferred.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(rig.rcpts.filter((r) => second.includes(r))).toEqual([]);
  });

  it('`kura queue retry` tries a failed entry again without a second bounce', async () => {
    const sender = await rig.newSender('retrier');
    const gone = `gone-${sender.username}@${REMOTE_DOMAIN}`;
    const id = await submit(sender.id, sender.address, [gone], 'Try again');
    expect((await settled(id)).status).toBe('failed');
    await eventually(async () => (await inbox(sender.id)).length === 1, 10_000, 'the bounce');
    const retried = JSON.parse((await kura(['queue', 'retry', id.toHexString(), '--json'])).stdout);
    expect(retried).toMatchObject({ event: 'retried', id: id.toHexString() });
    const again = await eventually(
      async () => {
        const entry = await findOutbound(rig.store, id);
        return entry?.status === 'failed' && entry.attempts === 2 ? entry : undefined;
      },
      15_000,
      'the second attempt',
    );
    expect(again.failed?.[0]?.message).toMatch(/^suppressed: /); // the first refusal suppressed the address
    await new Promise((r) => setTimeout(r, 500));
    expect(await inbox(sender.id)).toHaveLength(1);
  });

  it('answers bad queue commands with a clear error and exit code 1', async () => {
    const bad = await kura(['queue', 'retry', 'not-an-id']).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a queue id') });
    const rm = await kura(['queue', 'rm', '0123456789abcdef01234567']).catch((err: { code: number; stderr: string }) => err);
    expect(rm).toMatchObject({ code: 1, stderr: expect.stringContaining('--yes') });
  });

  async function kura(args: string[]) {
    return run('bash', [path.join(ROOT, 'scripts/kura.sh'), 'kura', ...args, '--config', rig.configFile], { cwd: ROOT, timeout: 60_000 });
  }

  async function rawOf(messageId: ObjectId): Promise<string> {
    const doc = await rig.store.db.collection('messages').findOne({ _id: messageId }, { projection: { mimeTree: 1 } });
    return (await messageSource(rig.store, doc?.mimeTree)).toString('utf8');
  }

  async function dsnCount(): Promise<number> {
    const metric = (await outboundRegistry.getMetricsAsJSON()).find((m) => m.name === 'kura_outbound_dsns_total');
    return Number(metric?.values[0]?.value ?? 0);
  }
});
