import { beforeAll, describe, expect, it } from 'vitest';
import { multipartMessage, plainMessage, utf8Message } from '../support/messages.js';
import { Pop3Client } from '../support/pop3-client.js';
import { sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, splitTrace, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

/**
 * SMTP in, IMAP and POP3 out, on the real local stack. The read-only tests share
 * one account filled before them; tests that change a mailbox have their own.
 */
describe('mail flows SMTP → store → IMAP/POP3', () => {
  // Storage fidelity only: the multi-script UTF-8 sample below scores as junk in rspamd 3.4
  // (8-bit From, mixed charsets), which would move it to Junk. Scanning is proven in rspamd.test.ts.
  const stack = useTestStack('flow', { trust: { rspamd: { enabled: false } } });
  let t: TestStack;
  let fixture: TestUser;
  const sent: Buffer[] = [];

  /** Delivers plain, 5 MB multipart (unless `small`) and UTF-8 messages to `user`; returns them in order. */
  async function deliver(user: TestUser, small = false): Promise<Buffer[]> {
    const to = user.address;
    const messages = [
      { message: plainMessage(to, 'plain text'), params: undefined },
      ...(small ? [] : [{ message: multipartMessage(to, 'five megabytes', 5 * 1024 * 1024), params: 'BODY=8BITMIME' }]),
      { message: utf8Message(to), params: 'SMTPUTF8 BODY=8BITMIME' },
    ];
    for (const { message, params } of messages) {
      const result = await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [to], mailParams: params }, message);
      expect(result.data?.code, result.data?.text).toBe(250);
    }
    return messages.map((m) => m.message);
  }

  beforeAll(async () => {
    t = stack();
    fixture = await newUser(t.config, 'flow');
    sent.push(...(await deliver(fixture)));
  }, 120_000);

  it('lists the default mailboxes and selects INBOX', async () => {
    await withImap(
      t.config,
      async (client) => {
        const paths = (await client.list()).map((m) => m.path);
        expect(paths).toEqual(expect.arrayContaining(['INBOX', 'Sent Mail', 'Trash', 'Junk', 'Drafts']));
        const inbox = await client.mailboxOpen('INBOX');
        expect(inbox.exists).toBe(sent.length);
      },
      fixture,
    );
  });

  it('returns every message byte for byte, with only trace and verdict headers added on top', async () => {
    const stored = await inboxSources(t.config, fixture);
    expect(stored).toHaveLength(sent.length);
    stored.forEach((message, i) => {
      const original = sent[i] as Buffer;
      const { trace, rest } = splitTrace(message.source, original);
      expect(rest.equals(original)).toBe(true);
      expect(trace).toMatch(/^Received: /m);
      expect(
        trace
          .split(/\r\n(?![ \t])/)
          .filter(Boolean)
          .every((h) => /^(Received|Authentication-Results|X-Kura-Scan): /i.test(h)),
      ).toBe(true);
      expect(message.size).toBe(message.source.length);
      expect([...message.flags]).toEqual([]);
      expect(Math.abs(message.internalDate.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });
  });

  it('returns 8-bit UTF-8 headers unchanged over IMAP', async () => {
    await withImap(
      t.config,
      async (client) => {
        await client.mailboxOpen('INBOX');
        const last = await client.fetchOne('*', { headers: ['subject'] });
        expect((last || undefined)?.headers?.toString('utf8').trim()).toBe('Subject: Grüße aus 蔵 — ½ price ☃');
      },
      fixture,
    );
  });

  it('decodes raw 8-bit UTF-8 headers once in ENVELOPE', async () => {
    await withImap(
      t.config,
      async (client) => {
        await client.mailboxOpen('INBOX');
        const utf8 = (await client.fetchOne(String(sent.length), { envelope: true })) || undefined;
        expect(utf8?.envelope?.subject).toBe('Grüße aus 蔵 — ½ price ☃');
        expect(utf8?.envelope?.from?.[0]?.name).toBe('Jürgen Müller');
      },
      fixture,
    );
  });

  it('decodes RFC 2047 encoded subjects in ENVELOPE', async () => {
    const user = await newUser(t.config, 'rfc2047');
    const message = plainMessage(user.address, '=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_=E8=94=B5?=');
    expect((await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [user.address] }, message)).data?.code).toBe(250);
    await withImap(
      t.config,
      async (client) => {
        await client.mailboxOpen('INBOX');
        const last = await client.fetchOne('*', { envelope: true, uid: true });
        expect((last || undefined)?.envelope?.subject).toBe('Grüße aus 蔵');
      },
      user,
    );
  });

  it('serves the same mail over POP3, and DELE removes it from INBOX', async () => {
    // Its own account: DELE changes the maildrop.
    const owner = await newUser(t.config, 'pop3');
    const sent = await deliver(owner, true);
    const { client, greeting } = await Pop3Client.connect(t.config.ports.pop3);
    try {
      expect(greeting).toMatch(/^\+OK/);
      await client.login(owner.username, owner.password);

      const stat = await client.command('STAT');
      const [, count, octets] = /^\+OK (\d+) (\d+)/.exec(stat) ?? [];
      expect(Number(count)).toBe(sent.length);
      const storedSizes = (await inboxSources(t.config, owner)).map((m) => m.size);
      expect(Number(octets)).toBe(storedSizes.reduce((a, b) => a + b, 0));

      const list = await client.multiline('LIST');
      expect(list.body.toString().trim().split('\r\n')).toEqual(storedSizes.map((size, i) => `${i + 1} ${size}`));

      const uidl = await client.multiline('UIDL');
      const uids = uidl.body.toString().trim().split('\r\n');
      expect(uids).toHaveLength(sent.length);
      expect(new Set(uids.map((l) => l.split(' ')[1])).size).toBe(sent.length);

      const retr = await client.multiline('RETR 1');
      expect(retr.status).toMatch(/^\+OK/);
      // Exactly the stored bytes: no extra CRLF before the terminating dot.
      expect(retr.body.length).toBe(storedSizes[0]);
      expect(splitTrace(retr.body, sent[0] as Buffer).rest.equals(sent[0] as Buffer)).toBe(true);

      expect(await client.command('DELE 1')).toMatch(/^\+OK/);
      expect(await client.command('QUIT')).toMatch(/^\+OK/);
    } finally {
      client.destroy();
    }

    const remaining = await inboxSources(t.config, owner);
    expect(remaining).toHaveLength(sent.length - 1);
    expect(remaining.some((m) => splitTrace(m.source, sent[0] as Buffer).rest.equals(sent[0] as Buffer))).toBe(false);
  });
});
