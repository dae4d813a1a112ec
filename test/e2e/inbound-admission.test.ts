import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from '@kura/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { multipartMessage, plainMessage } from '../support/messages.js';
import { SmtpClient, sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, type TestStack, useTestStack } from '../support/stack.js';

const kuraBin = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

/** The MX's Prometheus metrics as text. */
async function scrape(t: TestStack): Promise<string> {
  return (await fetch(`http://127.0.0.1:${t.config.ports.smtpMetrics}/metrics`)).text();
}

/** One sample of a scrape (0 when the series does not exist yet); `series` is the name with its labels. */
function sample(body: string, series: string): number {
  const escaped = series.replace(/[{}"[\]().*+?^$|]/g, '\\$&');
  return Number(new RegExp(`^${escaped} (\\d+)`, 'm').exec(body)?.[1] ?? 0);
}

/**
 * Inbound checks that need small limits: one stack, configured tight on purpose.
 * Every test sends to its own recipient from its own senders, and reads metrics
 * as the change its own traffic made, so order cannot change a verdict.
 */
describe('inbound: size, loops, lanes and admission limits', () => {
  const stack = useTestStack('inbound', {
    smtp: {
      maxMessageBytes: 8 * 1024 * 1024,
      largeMessageBytes: 1024 * 1024,
      largeLane: { concurrency: 1, bytesInFlight: 16 * 1024 * 1024 },
      repeatThreshold: 3,
      limits: { recipientsPerSender: '5/1m', concurrentConnectionsPerIp: 12 },
    },
  });
  let t: TestStack;
  /** A fresh recipient for the calling test. */
  const recipient = async (label: string) => (await newUser(t.config, label)).address;

  beforeAll(() => {
    t = stack();
  });

  it('advertises SIZE and refuses oversize mail with 552 5.3.4, declared or sent', async () => {
    const to = await recipient('size');
    const { client } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      expect((await client.command('EHLO test.example')).text).toContain(`SIZE ${8 * 1024 * 1024}`);
      expect(await client.command(`MAIL FROM:<big@example.org> SIZE=${9 * 1024 * 1024}`)).toMatchObject({ code: 552, enhanced: '5.3.4' });
      expect((await client.command('MAIL FROM:<big@example.org>')).code).toBe(250);
      expect((await client.command(`RCPT TO:<${to}>`)).code).toBe(250);
      expect(await client.data(multipartMessage(to, 'too big', 7 * 1024 * 1024))).toMatchObject({ code: 552, enhanced: '5.3.4' });
      // The connection is still usable afterwards.
      expect((await client.command('MAIL FROM:<big@example.org>')).code).toBe(250);
    } finally {
      await client.close();
    }
  });

  it('rejects a message with too many hops and one carrying our own loop header (554 5.4.6)', async () => {
    const to = await recipient('hops');
    const hops = Array.from(
      { length: t.config.smtp.maxHops + 1 },
      (_, i) => `Received: from hop${i}.example.org by hop${i + 1}.example.org; ${new Date().toUTCString()}`,
    );
    const looping = Buffer.concat([Buffer.from(`${hops.join('\r\n')}\r\n`), plainMessage(to, 'hops')]);
    const hopsReply = (await sendMail(t.config.ports.smtp, { from: 'loop@example.org', to: [to] }, looping)).data;
    expect(hopsReply).toMatchObject({ code: 554, enhanced: '5.4.6' });

    const own = Buffer.concat([Buffer.from(`X-Kura-Loop: ${t.config.hostname}\r\n`), plainMessage(to, 'own loop')]);
    expect((await sendMail(t.config.ports.smtp, { from: 'loop@example.org', to: [to] }, own)).data).toMatchObject({
      code: 554,
      enhanced: '5.4.6',
    });
  });

  it('temp-fails the same content for the same recipient after the repeat threshold', async () => {
    const to = await recipient('repeat');
    const message = plainMessage(to, `repeat ${crypto.randomUUID()}`);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await sendMail(t.config.ports.smtp, { from: `repeat${i}@example.org`, to: [to] }, message)).data?.code ?? 0);
    expect(codes).toEqual([250, 250, 250, 451, 451]);
  });

  it('limits recipients per envelope sender with a 4xx that names the limit', async () => {
    const to = await recipient('flood');
    const sender = `flood-${crypto.randomUUID()}@example.org`;
    const { client } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      await client.command('EHLO test.example');
      await client.command(`MAIL FROM:<${sender}>`);
      const replies = [];
      for (let i = 0; i < 7; i++) replies.push(await client.command(`RCPT TO:<${to}>`));
      expect(replies.slice(0, 5).map((r) => r.code)).toEqual([250, 250, 250, 250, 250]);
      const limited = replies.slice(5);
      for (const reply of limited) {
        expect(reply.code).toBeGreaterThanOrEqual(400);
        expect(reply.code).toBeLessThan(500);
        expect(reply.text).toMatch(/rate limit/i);
      }
    } finally {
      await client.close();
    }
  });

  it('refuses connections over the per-IP concurrency limit with 421', async () => {
    const clients: SmtpClient[] = [];
    try {
      const greetings = [];
      for (let i = 0; i < 14; i++) {
        const { client, greeting } = await SmtpClient.connect(t.config.ports.smtp);
        clients.push(client);
        greetings.push(greeting);
      }
      expect(greetings.slice(0, 12).every((g) => g.code === 220)).toBe(true);
      expect(greetings.slice(12).map((g) => g.code)).toEqual([421, 421]);
      expect(greetings[13]?.text).toMatch(/concurrent/i);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('stores small mail while large mail queues in its own lane', async () => {
    const user = await newUser(t.config, 'lanes');
    const to = user.address;
    const acked: Array<{ kind: 'large' | 'small'; at: number }> = [];
    // One sender per message: this stack allows only 5 recipients per sender and minute.
    const send = async (kind: 'large' | 'small', i: number, message: Buffer) => {
      const reply = await sendMail(t.config.ports.smtp, { from: `${kind}-lane-${i}-${user.username}@example.org`, to: [to] }, message);
      expect(reply.data?.code).toBe(250);
      acked.push({ kind, at: Date.now() });
    };
    const large = Array.from({ length: 8 }, (_, i) => send('large', i, multipartMessage(to, `lane large ${i}`, 2 * 1024 * 1024)));
    // Small mail is sent once large mail is waiting in its lane (seen in the MX's own metrics).
    await waitUntil(
      async () => {
        if (sample(await scrape(t), 'kura_inbound_lane_queued_messages{lane="large"}') < 3) throw new Error('lane not busy yet');
      },
      60_000,
      50,
    );
    await Promise.all(Array.from({ length: 3 }, (_, i) => send('small', i, plainMessage(to, `lane small ${i}`))));
    await Promise.all(large);
    const lastLarge = Math.max(...acked.filter((a) => a.kind === 'large').map((a) => a.at));
    const lastSmall = Math.max(...acked.filter((a) => a.kind === 'small').map((a) => a.at));
    expect(lastSmall).toBeLessThan(lastLarge);
    const subjects = (await inboxSources(t.config, user)).map((m) => /Subject: (.*)\r\n/.exec(m.source.toString())?.[1] ?? '');
    expect(subjects.filter((s) => s.startsWith('lane ')).sort()).toEqual(
      [...Array.from({ length: 8 }, (_, i) => `lane large ${i}`), ...Array.from({ length: 3 }, (_, i) => `lane small ${i}`)].sort(),
    );
  }, 180_000);

  it('kura top names the busiest IP, sender and recipient', async () => {
    // Its own traffic: one sender, one recipient, more mail than any other test sends to one address.
    const to = await recipient('top');
    const sender = `top-${crypto.randomUUID()}@example.org`;
    for (let i = 0; i < 4; i++)
      expect((await sendMail(t.config.ports.smtp, { from: sender, to: [to] }, plainMessage(to, `top ${i}`))).data?.code).toBe(250);
    const { stdout } = await promisify(execFile)(process.execPath, [
      kuraBin,
      'top',
      '--once',
      '--limit',
      '1000',
      '--config',
      path.join(t.config.dataDir, 'kura.config.json'),
    ]);
    const report = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<
      'ip' | 'sender' | 'recipient',
      Array<{ name: string; count: number }>
    >;
    const count = (rows: Array<{ name: string; count: number }>, name: string) => rows.find((r) => r.name === name)?.count ?? 0;
    expect(report.ip[0]?.name).toBe('127.0.0.1');
    expect(count(report.ip, '127.0.0.1')).toBeGreaterThanOrEqual(4);
    expect(count(report.sender, sender)).toBe(4);
    expect(count(report.recipient, to)).toBe(4);
  });

  it('exposes verdicts, lane latency and bytes in flight as Prometheus metrics', async () => {
    // The change this test's own traffic makes, so earlier tests (or none) cannot change the verdict.
    const to = await recipient('metrics');
    const before = await scrape(t);
    const tag = crypto.randomUUID();
    // One oversize (declared), one with too many hops, one repeated five times (3 accepted, 2 temp-failed),
    // one large message and one small one.
    const { client } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      await client.command('EHLO test.example');
      expect((await client.command(`MAIL FROM:<m-${tag}@example.org> SIZE=${9 * 1024 * 1024}`)).code).toBe(552);
    } finally {
      await client.close();
    }
    const hops = Array.from({ length: t.config.smtp.maxHops + 1 }, (_, i) => `Received: from h${i}.example.org by h${i + 1}.example.org`);
    const looping = Buffer.concat([Buffer.from(`${hops.join('\r\n')}\r\n`), plainMessage(to, `hops ${tag}`)]);
    expect((await sendMail(t.config.ports.smtp, { from: `h-${tag}@example.org`, to: [to] }, looping)).data?.code).toBe(554);
    const repeated = plainMessage(to, `repeat ${tag}`);
    for (let i = 0; i < 5; i++) await sendMail(t.config.ports.smtp, { from: `r${i}-${tag}@example.org`, to: [to] }, repeated);
    const large = multipartMessage(to, `large ${tag}`, 2 * 1024 * 1024);
    expect((await sendMail(t.config.ports.smtp, { from: `l-${tag}@example.org`, to: [to] }, large)).data?.code).toBe(250);
    expect(
      (await sendMail(t.config.ports.smtp, { from: `s-${tag}@example.org`, to: [to] }, plainMessage(to, `small ${tag}`))).data?.code,
    ).toBe(250);

    const after = await scrape(t);
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect({
      size: delta('kura_inbound_messages_total{result="rejected",reason="size"}'),
      hops: delta('kura_inbound_messages_total{result="rejected",reason="hops"}'),
      repeat: delta('kura_inbound_messages_total{result="tempfailed",reason="repeat"}'),
      large: delta('kura_inbound_delivery_seconds_count{lane="large"}'),
      small: delta('kura_inbound_delivery_seconds_count{lane="small"}'),
      // EHLO+MAIL with SIZE never reaches RCPT; the other 8 transactions had one known recipient each.
      known: delta('kura_inbound_recipients_total{result="accepted",reason="known"}'),
    }).toEqual({ size: 1, hops: 1, repeat: 2, large: 1, small: 4, known: 8 });
    expect(sample(after, 'kura_inbound_lane_in_flight_bytes{lane="large"}')).toBe(0);
    // Read from the store at the scrape: the outbound queue (auto-replies, forwards) has a sample per status.
    expect(after).toMatch(/^kura_inbound_outbound_queue_messages\{status="queued"\} \d+$/m);
    expect(after).toMatch(/^kura_inbound_process_cpu_seconds_total /m);
  });

  it('kura top explains a bad flag without a stack trace', async () => {
    const error = await promisify(execFile)(process.execPath, [
      kuraBin,
      'top',
      '--once',
      '--minutes',
      'ten',
      '--config',
      path.join(t.config.dataDir, 'kura.config.json'),
    ]).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('--minutes must be a positive whole number');
    expect(error.stderr).not.toMatch(/\n\s+at /);
  });
});
