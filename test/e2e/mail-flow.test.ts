import { beforeAll, describe, expect, it } from 'vitest';
import { multipartMessage, plainMessage, utf8Message } from '../support/messages.js';
import { Pop3Client } from '../support/pop3-client.js';
import { sendMail } from '../support/smtp-client.js';
import { demoAddress, demoAuth, inboxSources, splitTrace, type TestStack, useTestStack, withImap } from '../support/stack.js';

/** SMTP in, IMAP and POP3 out, on the real local stack. */
describe('mail flows SMTP → store → IMAP/POP3', () => {
  const stack = useTestStack('flow');
  let t: TestStack;
  const sent: Buffer[] = [];

  beforeAll(async () => {
    t = stack();
    const to = demoAddress(t.config);
    const messages = [
      { message: plainMessage(to, 'plain text'), params: undefined },
      { message: multipartMessage(to, 'five megabytes', 5 * 1024 * 1024), params: 'BODY=8BITMIME' },
      { message: utf8Message(to), params: 'SMTPUTF8 BODY=8BITMIME' },
    ];
    for (const { message, params } of messages) {
      const result = await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [to], mailParams: params }, message);
      expect(result.data?.code, result.data?.text).toBe(250);
      sent.push(message);
    }
  }, 120_000);

  it('lists the default mailboxes and selects INBOX', async () => {
    await withImap(t.config, async (client) => {
      const paths = (await client.list()).map((m) => m.path);
      expect(paths).toEqual(expect.arrayContaining(['INBOX', 'Sent Mail', 'Trash', 'Junk', 'Drafts']));
      const inbox = await client.mailboxOpen('INBOX');
      expect(inbox.exists).toBe(sent.length);
    });
  });

  it('returns every message byte for byte, with only trace headers added on top', async () => {
    const stored = await inboxSources(t.config);
    expect(stored).toHaveLength(sent.length);
    stored.forEach((message, i) => {
      const original = sent[i] as Buffer;
      const { trace, rest } = splitTrace(message.source, original);
      expect(rest.equals(original)).toBe(true);
      expect(trace).toMatch(/^Received: /);
      expect(
        trace
          .split(/\r\n(?![ \t])/)
          .filter(Boolean)
          .every((h) => /^Received: /i.test(h)),
      ).toBe(true);
      expect(message.size).toBe(message.source.length);
      expect([...message.flags]).toEqual([]);
      expect(Math.abs(message.internalDate.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });
  });

  it('returns 8-bit UTF-8 headers unchanged over IMAP', async () => {
    await withImap(t.config, async (client) => {
      await client.mailboxOpen('INBOX');
      const last = await client.fetchOne('*', { headers: ['subject'] });
      expect(last?.headers?.toString('utf8').trim()).toBe('Subject: Grüße aus 蔵 — ½ price ☃');
    });
  });

  it('decodes raw 8-bit UTF-8 headers once in ENVELOPE', async () => {
    await withImap(t.config, async (client) => {
      await client.mailboxOpen('INBOX');
      const utf8 = await client.fetchOne(String(sent.length), { envelope: true });
      expect(utf8?.envelope?.subject).toBe('Grüße aus 蔵 — ½ price ☃');
      expect(utf8?.envelope?.from?.[0]?.name).toBe('Jürgen Müller');
    });
  });

  it('decodes RFC 2047 encoded subjects in ENVELOPE', async () => {
    const to = demoAddress(t.config);
    const message = plainMessage(to, '=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_=E8=94=B5?=');
    expect((await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [to] }, message)).data?.code).toBe(250);
    await withImap(t.config, async (client) => {
      await client.mailboxOpen('INBOX');
      const last = await client.fetchOne('*', { envelope: true, uid: true });
      expect(last?.envelope?.subject).toBe('Grüße aus 蔵');
      if (last) await client.messageDelete({ uid: String(last.uid) }, { uid: true });
    });
  });

  it('serves the same mail over POP3, and DELE removes it from INBOX', async () => {
    const { client, greeting } = await Pop3Client.connect(t.config.ports.pop3);
    try {
      expect(greeting).toMatch(/^\+OK/);
      const { user, pass } = demoAuth(t.config);
      await client.login(user, pass);

      const stat = await client.command('STAT');
      const [, count, octets] = /^\+OK (\d+) (\d+)/.exec(stat) ?? [];
      expect(Number(count)).toBe(sent.length);
      const storedSizes = (await inboxSources(t.config)).map((m) => m.size);
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

    const remaining = await inboxSources(t.config);
    expect(remaining).toHaveLength(sent.length - 1);
    expect(remaining.some((m) => splitTrace(m.source, sent[0] as Buffer).rest.equals(sent[0] as Buffer))).toBe(false);
  });
});
