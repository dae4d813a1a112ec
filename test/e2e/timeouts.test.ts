import { waitUntil } from '@kura/cli';
import { hookTimeouts } from '@kura/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { multipartMessage, plainMessage } from '../support/messages.js';
import { SmtpClient, type SmtpReply, sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, type TestStack, useTestStack } from '../support/stack.js';

/**
 * Timeouts that agree: when the store hangs, the client gets Kura's documented
 * `451 4.3.0` within Kura's own budget, not Haraka's generic "plugin timeout".
 * Budgets are chosen so that the old single plugin timeout (delivery + 15 s =
 * 17 s) would have fired first in both cases.
 */
const DELIVERY_MS = 2_000;
const LANE_WAIT_MS = 18_000;

describe('inbound timeouts when the store hangs', () => {
  const stack = useTestStack('timeouts', {
    smtp: {
      deliveryTimeoutMs: DELIVERY_MS,
      laneWaitTimeoutMs: LANE_WAIT_MS,
      largeMessageBytes: 16 * 1024,
      largeLane: { concurrency: 1, bytesInFlight: 64 * 1024 * 1024 },
    },
  });
  let t: TestStack;

  beforeAll(() => {
    t = stack();
  });

  /** Opens a transaction up to the end of the message body, without the final dot. */
  async function upToEndOfData(to: string[], message: Buffer): Promise<SmtpClient> {
    const { client } = await SmtpClient.connect(t.config.ports.smtp);
    expect((await client.command('EHLO test.example')).code).toBe(250);
    expect((await client.command('MAIL FROM:<slow@example.org>')).code).toBe(250);
    for (const rcpt of to) expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    // The same bytes SmtpClient.data would send (no line starts with a dot in these messages).
    client.write(message.toString('latin1').endsWith('\r\n') ? message : Buffer.concat([message, Buffer.from('\r\n')]));
    return client;
  }

  /** Sends the final dot; resolves with the reply and how long it took. */
  async function endData(client: SmtpClient): Promise<{ reply: SmtpReply; ms: number }> {
    const started = Date.now();
    const reply = client.reply(120_000);
    client.write('.\r\n');
    return { reply: await reply, ms: Date.now() - started };
  }

  /**
   * Freezes the data tier (SIGSTOP: connections stay open, nothing answers) while `work` runs; with
   * `stutter`, lets it run for `stutter.runMs` every `stutter.stopMs`, a store that is slow but answers.
   */
  async function withFrozenStore<T>(work: () => Promise<T>, stutter?: { stopMs: number; runMs: number }): Promise<T> {
    const pid = t.stack.supervisor.pids.ferretdb;
    if (!pid) throw new Error('no ferretdb process in the stack');
    process.kill(pid, 'SIGSTOP');
    let cycling = true;
    const cycle = (async () => {
      while (stutter && cycling) {
        await new Promise((r) => setTimeout(r, stutter.stopMs));
        if (!cycling) break;
        process.kill(pid, 'SIGCONT');
        await new Promise((r) => setTimeout(r, stutter.runMs));
        if (cycling) process.kill(pid, 'SIGSTOP');
      }
    })();
    try {
      return await work();
    } finally {
      cycling = false;
      await cycle;
      process.kill(pid, 'SIGCONT');
      // The store answers again before the next test starts.
      const probe = await newUser(t.config, 'after-freeze').catch(() => undefined);
      if (!probe)
        await waitUntil(async () => {
          await newUser(t.config, 'after-freeze');
        }, 60_000);
    }
  }

  it('slow delivery: a message for many recipients gets 451 4.3.0 from Kura within one delivery budget', async () => {
    // A store that answers, slowly: each copy stays under the 2 s delivery timeout, but 40 of them
    // add up to more than the old 17 s plugin timeout. Kura gives every copy together one budget.
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => newUser(t.config, `slow${i}`)));
    const to = users.map((u) => u.address);
    const message = plainMessage(to[0] as string, 'slow delivery');
    const client = await upToEndOfData(to, message);
    try {
      const { reply, ms } = await withFrozenStore(() => endData(client), { stopMs: 700, runMs: 150 });
      expect(reply).toMatchObject({ code: 451, enhanced: '4.3.0' });
      expect(reply.text).toMatch(/Mail store temporarily unavailable/);
      expect(reply.text).not.toMatch(/plugin timeout/i);
      // Kura's budget (one delivery timeout for every copy), well before Haraka's timer.
      expect(ms).toBeLessThan(DELIVERY_MS + 3_000);
    } finally {
      await client.close();
    }
    // Retried as a sending MTA would: the same bytes again. Copies stored before the 451 are recognised
    // (the duplicate guard), so the retry ends in 250 with exactly one copy in every mailbox.
    const codes: Array<number | undefined> = [];
    while (codes.at(-1) !== 250 && codes.length < 5)
      codes.push((await sendMail(t.config.ports.smtp, { from: 'slow@example.org', to }, message)).data?.code);
    expect(codes.at(-1), JSON.stringify(codes)).toBe(250);
    const copies = await Promise.all(users.map(async (u) => (await inboxSources(t.config, u)).length));
    expect(copies).toEqual(users.map(() => 1));
  }, 120_000);

  it('lane wait: large mail behind a stalled lane gets 451 4.3.0 from Kura, not a plugin timeout', async () => {
    const user = await newUser(t.config, 'lane');
    // Read the counter as the change this test made, not a total earlier tests may have fed.
    const laneTimeouts = async () => {
      const body = await (await fetch(`http://127.0.0.1:${t.config.ports.smtpMetrics}/metrics`)).text();
      return Number(/^kura_inbound_messages_total\{result="tempfailed",reason="lane-timeout"\} (\d+)/m.exec(body)?.[1] ?? 0);
    };
    const timeoutsBefore = await laneTimeouts();
    // Twelve large messages through a lane of one: each stalled delivery holds it for 2 s, so the last
    // ones wait past the 18 s lane budget (and past the old 17 s plugin timeout).
    const clients = await Promise.all(
      Array.from({ length: 12 }, (_, i) => upToEndOfData([user.address], multipartMessage(user.address, `lane ${i}`, 32 * 1024))),
    );
    try {
      const outcomes = await withFrozenStore(() => Promise.all(clients.map((c) => endData(c))));
      for (const { reply } of outcomes) {
        expect(reply).toMatchObject({ code: 451, enhanced: '4.3.0' });
        expect(reply.text).not.toMatch(/plugin timeout/i);
      }
      // Some waited out the lane budget: their answer came from Kura at the lane deadline.
      const laneTimedOut = outcomes.filter(({ ms }) => ms >= LANE_WAIT_MS - 500);
      expect(laneTimedOut.length).toBeGreaterThan(0);
      for (const { ms } of outcomes) expect(ms).toBeLessThan(hookTimeouts(t.config).queue.harakaSeconds * 1000);
      expect((await laneTimeouts()) - timeoutsBefore).toBeGreaterThan(0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 120_000);
});
