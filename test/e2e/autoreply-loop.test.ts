import fs from 'node:fs';
import path from 'node:path';
import { openStore, setAutoReply } from '@kura/store';
import { simpleParser } from 'mailparser';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { type SunkMessage, startSink } from '../support/sink.js';
import { sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, startTestStack, type TestStack, type TestUser, tempDataDir, testConfig } from '../support/stack.js';

const LIST = 'staff@lists.example.org';

/** Waits until `read` returns the same value for `quietMs`, or fails after `timeoutMs`. */
async function settled<T>(read: () => Promise<T>, quietMs: number, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = JSON.stringify(await read());
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = JSON.stringify(await read());
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return JSON.parse(now) as T;
    }
  }
  throw new Error(`still changing after ${timeoutMs} ms: ${last}`);
}

describe('auto-replies cannot loop', () => {
  let t: TestStack;
  let dataDir: string;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const redistributed: SunkMessage[] = [];
  // The list's one subscriber (set by the test that needs it); each test has its own account on vacation.
  let subscriber: TestUser | undefined;

  /** A fresh account with an auto-reply switched on, so no other test's replies or budget count. */
  async function awayUser(label: string, reply: { subject?: string; text: string }): Promise<TestUser> {
    const user = await newUser(t.config, label);
    const store = await openStore({ mongodbUri: t.config.mongodbUri, redisUrl: t.config.redisUrl });
    try {
      await setAutoReply(store, new ObjectId(user.id), { status: true, ...reply });
    } finally {
      await store.close();
    }
    return user;
  }

  beforeAll(async () => {
    // The sink is "the Internet", including a badly behaved mailing list: it sends every message
    // it gets for the list back to its one subscriber, stripping the auto-reply markers.
    let kuraPort = 0;
    sink = await startSink((message) => {
      if (!message.to.includes(LIST) || !kuraPort || !subscriber) return;
      const stripped = Buffer.from(
        message.raw.toString('latin1').replace(/^(Auto-Submitted|X-Kura-Loop|Precedence):.*\r\n/gim, ''),
        'latin1',
      );
      redistributed.push(message);
      void sendMail(kuraPort, { from: LIST, to: [subscriber.address] }, stripped);
    });
    dataDir = tempDataDir('autoreply');
    // Auto-replies go only to mail a scanner found clean: a real scanner process, junk when the body says so.
    const scanner = path.join(dataDir, 'scanner.sh');
    fs.writeFileSync(scanner, 'if grep -q SPAM-MARKER; then exit 1; fi\nexit 0\n');
    const config = await testConfig(dataDir, {
      outbound: { relay: `127.0.0.1:${sink.port}`, perUserPerHour: 3 },
      smtp: { scanner: { command: ['sh', scanner] } },
    });
    t = await startTestStack(config);
    kuraPort = config.ports.smtp;
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await sink?.close();
    if (!process.env.KEEPDATA) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a list that redistributes everything to a subscriber on vacation gets one auto-reply, and the mailbox stops growing', async () => {
    const user = await awayUser('list-subscriber', { subject: 'Away', text: 'I am away until Monday.' });
    subscriber = user;
    const first = await sendMail(t.config.ports.smtp, { from: LIST, to: [user.address] }, plainMessage(user.address, 'list post'));
    expect(first.data?.code).toBe(250);

    const inboxSize = await settled(async () => (await inboxSources(t.config, user)).length, 4_000, 45_000);
    const autoReplies = sink.received.filter((m) => m.from === '' && m.to.includes(LIST));
    expect(autoReplies).toHaveLength(1);
    expect(autoReplies[0]?.raw.toString()).toMatch(/^Auto-Submitted: auto-replied/im);
    expect(autoReplies[0]?.raw.toString()).toMatch(/^X-Kura-Loop: /im);
    // The post and the list's copy of the auto-reply; nothing after that.
    expect(inboxSize).toBe(2);
  }, 60_000);

  it('never answers list mail, automatic mail or the null sender', async () => {
    const user = await awayUser('no-reply', { subject: 'Away', text: 'I am away until Monday.' });
    const before = sink.received.length;
    const cases: Array<[string, string]> = [
      ['alice@example.org', 'List-Id: <staff.lists.example.org>'],
      ['bob@example.org', 'Auto-Submitted: auto-generated'],
      ['carol@example.org', 'Precedence: bulk'],
      ['', ''],
    ];
    for (const [from, header] of cases) {
      const message = Buffer.concat([
        Buffer.from(header ? `${header}\r\n` : ''),
        plainMessage(user.address, `no reply to ${from || 'null'}`),
      ]);
      expect((await sendMail(t.config.ports.smtp, { from, to: [user.address] }, message)).data?.code).toBe(250);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sink.received.length).toBe(before);
  }, 30_000);

  it('sends at most the per-user hourly budget of auto-replies', async () => {
    const busy = await awayUser('busy', { subject: 'Away', text: 'Away.' });
    for (let i = 0; i < 5; i++) {
      const from = `person${i}@example.org`;
      expect(
        (await sendMail(t.config.ports.smtp, { from, to: [busy.address] }, plainMessage(busy.address, `budget ${i}`))).data?.code,
      ).toBe(250);
    }
    const replies = await settled(
      async () => sink.received.filter((m) => /^person\d@example\.org$/.test(m.to[0] ?? '')).length,
      3_000,
      30_000,
    );
    expect(replies).toBe(3);
  }, 60_000);

  it('gives a forged or bulk sender nothing to reflect: To/Cc only, no junk, bounded Subject', async () => {
    const user = (await awayUser('away', { text: 'Away.' })).address;
    const send = async (from: string, message: Buffer) =>
      expect((await sendMail(t.config.ports.smtp, { from, to: [user] }, message)).data?.code).toBe(250);
    // Envelope to the user, but the user is not in To/Cc (a Bcc or a spammer's envelope): no reply.
    await send('victim1@example.org', plainMessage('someone@else.example', 'bcc copy'));
    // Scanned as junk: no reply.
    await send('victim2@example.org', plainMessage(user, 'junk', 'SPAM-MARKER buy now\r\n'));
    // Addressed to the user and clean: one reply, whose Subject echoes only a short, cleaned part.
    const subject = `Visit https://spam.example/offer now ${'x'.repeat(300)}`;
    await send('friend@example.org', plainMessage(user, subject));
    const replies = await settled(
      async () => sink.received.filter((m) => /^(victim\d|friend)@example\.org$/.test(m.to[0] ?? '')).map((m) => m.to[0]),
      3_000,
      30_000,
    );
    expect(replies).toEqual(['friend@example.org']);
    const reply = sink.received.find((m) => m.to[0] === 'friend@example.org')?.raw ?? Buffer.alloc(0);
    const replySubject = (await simpleParser(reply)).subject ?? '';
    expect(replySubject).toMatch(/^Auto: Visit \[link\] now x+…$/);
    expect(replySubject.length).toBeLessThanOrEqual('Auto: '.length + 60);
    expect(reply.toString()).not.toContain('spam.example');
  }, 60_000);
});
