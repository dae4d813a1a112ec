import crypto from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { SmtpClient, sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, splitTrace, type TestStack, type TestUser, useTestStack } from '../support/stack.js';

/** Sends raw bytes after DATA exactly as given (no dot-stuffing, no terminator added). */
async function rawData(port: number, to: string, bytes: Buffer) {
  const { client } = await SmtpClient.connect(port);
  try {
    await client.command('EHLO test.example');
    await client.command('MAIL FROM:<odd@example.org>');
    await client.command(`RCPT TO:<${to}>`);
    expect((await client.command('DATA')).code).toBe(354);
    const reply = client.reply();
    client.write(bytes);
    return await reply;
  } finally {
    await client.close();
  }
}

describe('malformed input gets a clear answer and the server keeps serving', () => {
  // Storage fidelity only: rspamd scores these header-less samples as junk (stored in Junk, not INBOX).
  const stack = useTestStack('malformed', { trust: { rspamd: { enabled: false } } });
  let t: TestStack;
  // Each test delivers to its own account: "nothing stored" means nothing this test sent.
  let user: TestUser;
  let to: string;

  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'malformed');
    to = user.address;
  });

  const stored = async (marker: string) => (await inboxSources(t.config, user)).filter((m) => m.source.includes(Buffer.from(marker)));

  it('accepts and stores broken MIME, NUL bytes and invalid UTF-8', async () => {
    const boundary = 'b-unclosed';
    const cases: Record<string, Buffer> = {
      'broken-mime': Buffer.from(
        `Subject: broken-mime\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\nno closing boundary\r\n`,
      ),
      'nul-bytes': Buffer.concat([Buffer.from('Subject: nul-bytes\r\n\r\nbefore '), Buffer.from([0, 0, 1, 2]), Buffer.from(' after\r\n')]),
      'bad-utf8': Buffer.concat([
        Buffer.from('Subject: bad-utf8 '),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
        Buffer.from('\r\n\r\nbody '),
        Buffer.from([0xe2, 0x28, 0xa1]),
        Buffer.from('\r\n'),
      ]),
    };
    for (const [name, message] of Object.entries(cases)) {
      const result = await sendMail(t.config.ports.smtp, { from: 'odd@example.org', to: [to], mailParams: 'BODY=8BITMIME' }, message);
      expect(result.data?.code, name).toBe(250);
      const [copy, ...more] = await stored(`Subject: ${name}`);
      expect(more, name).toEqual([]);
      if (name === 'broken-mime') {
        // WildDuck serves multipart messages from its parsed MIME tree: an unterminated
        // multipart comes back with its parts intact but closed (see docs/compatibility.md).
        expect(copy?.source.toString()).toContain('!!!not base64!!!');
        expect(copy?.source.toString()).toContain('no closing boundary');
      } else if (name === 'bad-utf8') {
        // Header values are stored as text: invalid UTF-8 in a header becomes U+FFFD; the body keeps its bytes.
        expect(copy?.source.toString()).toContain('Subject: bad-utf8 \ufffd\ufffd');
        expect(copy?.source.subarray(-10).equals(message.subarray(-10))).toBe(true);
      } else {
        expect(copy && splitTrace(copy.source, message).rest.equals(message), name).toBe(true);
      }
    }
  }, 60_000);

  it('refuses a 1 MB header line with 554 5.6.0 instead of storing it cut short', async () => {
    const message = Buffer.from(`Subject: long-header\r\nX-Long: ${'a'.repeat(1024 * 1024)}\r\n\r\nbody\r\n`);
    const result = await sendMail(t.config.ports.smtp, { from: 'odd@example.org', to: [to] }, message);
    expect(result.data, JSON.stringify(result.data)).toMatchObject({ code: 554, enhanced: '5.6.0' });
    expect(result.data?.text).toMatch(/header line is \d+ bytes long/);
    expect(await stored('Subject: long-header')).toEqual([]);
  });

  it('does not let <LF>.<LF> or <CR>.<CR> end DATA early (SMTP smuggling)', async () => {
    const smuggle = (ending: string, tag: string) =>
      Buffer.from(
        `Subject: carrier-${tag}\r\n\r\nbody${ending}MAIL FROM:<evil@example.org>\r\nRCPT TO:<${to}>\r\nDATA\r\nSubject: smuggled-${tag}\r\n\r\nevil\r\n.\r\n`,
      );
    const lf = await rawData(t.config.ports.smtp, to, smuggle('\n.\n', 'lf'));
    // Haraka refuses bare line feeds outright (a temporary failure the sender must fix).
    expect(lf.code).toBe(451);
    expect(lf.text).toMatch(/bare line-feed/i);
    const cr = await rawData(t.config.ports.smtp, to, smuggle('\r.\r', 'cr'));
    expect(cr.code).toBe(250);
    expect(await stored('Subject: smuggled-lf')).toEqual([]);
    // The <CR>.<CR> attempt is one message: the would-be second message is just its body.
    const carrier = await stored('Subject: carrier-cr');
    expect(carrier).toHaveLength(1);
    expect(carrier[0]?.source.toString()).toContain('Subject: smuggled-cr');
    const headerBlock = (source: Buffer) => source.toString().split('\r\n\r\n')[0] ?? '';
    expect((await inboxSources(t.config, user)).filter((m) => /^Subject: smuggled/m.test(headerBlock(m.source)))).toEqual([]);
  });

  it('keeps answering an ordinary client while another sends garbage', async () => {
    const garbage = (async () => {
      const { client } = await SmtpClient.connect(t.config.ports.smtp);
      try {
        client.write(Buffer.concat([crypto.randomBytes(256 * 1024), Buffer.from('\r\n')]));
        await client.command('NOOP').catch(() => undefined);
      } finally {
        await client.close();
      }
    })();
    const normal = await sendMail(t.config.ports.smtp, { from: 'fine@example.org', to: [to] }, plainMessage(to, 'while garbage'));
    expect(normal.data?.code).toBe(250);
    await garbage;
    const again = await sendMail(t.config.ports.smtp, { from: 'fine@example.org', to: [to] }, plainMessage(to, 'after garbage'));
    expect(again.data?.code).toBe(250);
    const subjects = (await inboxSources(t.config, user)).map((m) => /^Subject: (.*)$/m.exec(m.source.toString())?.[1]?.trim());
    expect(subjects).toEqual(['while garbage', 'after garbage']);
  });
});
