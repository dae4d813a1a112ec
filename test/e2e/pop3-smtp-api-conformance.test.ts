import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProcessUnchanged, expectWildDuckServing, freshUser } from '../support/conformance.js';
import { RawImap } from '../support/imap-raw.js';
import { Pop3Client } from '../support/pop3-client.js';
import { SmtpClient } from '../support/smtp-client.js';
import { type TestStack, useTestStack } from '../support/stack.js';

/** A POP3 or SMTP answer, or "closed" when the server hung up (or went silent) before answering. */
function within<T>(work: Promise<T>, ms = 5_000): Promise<T | 'closed'> {
  return Promise.race([work.catch(() => 'closed' as const), new Promise<'closed'>((resolve) => setTimeout(() => resolve('closed'), ms))]);
}

describe('POP3, SMTP and the WildDuck API: malformed and odd-but-legal input', () => {
  const stack = useTestStack('pop3-smtp-api');
  let t: TestStack;
  let wildduck: number | undefined;
  let haraka: number | undefined;

  beforeAll(() => {
    t = stack();
    wildduck = t.stack.supervisor.pids.wildduck;
    haraka = t.stack.supervisor.pids.haraka;
  });
  afterEach(async () => {
    await expectWildDuckServing(t, wildduck);
    expectProcessUnchanged(t, 'haraka', haraka);
  });

  async function mailboxWith(label: string, count: number) {
    const account = await freshUser(t, label);
    const imap = await RawImap.session(t.config.ports.imap, account.user, account.pass);
    try {
      for (let i = 0; i < count; i++) {
        const body = Buffer.from(`Subject: pop ${i}\r\nX-Seq: ${i}\r\n\r\nline one\r\n.dot line\r\n`);
        expect((await imap.run(Buffer.concat([Buffer.from(`APPEND INBOX {${body.length}}\r\n`), body]))).status).toBe('OK');
      }
    } finally {
      imap.close();
    }
    return account;
  }

  async function pop3(account: { user: string; pass: string }) {
    const { client, greeting } = await Pop3Client.connect(t.config.ports.pop3);
    expect(greeting).toMatch(/^\+OK/);
    await client.login(account.user, account.pass);
    return client;
  }

  it('POP3: fractional, negative, huge and missing message numbers get -ERR; the process lives', async () => {
    const account = await mailboxWith('pop-bad', 2);
    const bad = ['RETR 1.5', 'LIST 1.5', 'DELE 1.5', 'UIDL 1.5', 'TOP 1.5 1', 'TOP 1 1.5', 'RETR -1', 'RETR 0', 'RETR abc', 'TOP 1 -1'];
    bad.push('RETR', 'TOP', 'DELE', 'LIST 1 2', 'XYZZY', 'RETR 99999999', 'LIST 99999999999999999999');
    for (const command of bad) {
      // WildDuck ends the session after a malformed command; each case gets its own.
      const client = await pop3(account);
      try {
        const answer = await within(client.command(command));
        expect(answer, command).toMatch(/^-ERR /);
      } finally {
        client.destroy();
      }
    }
  });

  it('POP3: legal commands get the answers RFC 1939 / RFC 2449 require', async () => {
    const account = await mailboxWith('pop-ok', 2);
    const client = await pop3(account);
    try {
      const stat = await client.command('STAT');
      expect(stat).toMatch(/^\+OK 2 \d+$/);
      const list = await client.multiline('LIST');
      expect(list.body.toString().trim().split('\r\n')).toEqual([expect.stringMatching(/^1 \d+$/), expect.stringMatching(/^2 \d+$/)]);
      expect(await client.command('LIST 2')).toMatch(/^\+OK 2 \d+$/);
      const uidl = await client.multiline('UIDL');
      expect(uidl.body.toString().trim().split('\r\n')).toHaveLength(2);
      // TOP n 0: the header and the blank line, no body (dot-stuffing undone).
      const top = await client.multiline('TOP 1 0');
      expect(top.body.toString()).toMatch(/Subject: pop 0\r\nX-Seq: 0\r\n\r\n$/);
      expect((await client.multiline('RETR 2')).body.toString()).toContain('\r\n.dot line\r\n');
      expect((await client.multiline('CAPA')).body.toString()).toMatch(/^TOP\r\n(.*\r\n)*UIDL\r\n/);
      expect(await client.command('NOOP')).toBe('+OK');
      expect(await client.command('DELE 1')).toMatch(/^\+OK/);
      expect(await client.command('RETR 1')).toMatch(/^-ERR message 1 already deleted/);
      expect(await client.command('RSET')).toMatch(/^\+OK/);
      expect(await client.command('STAT')).toMatch(/^\+OK 2 /);
      expect(await client.command('QUIT')).toMatch(/^\+OK/);
    } finally {
      client.destroy();
    }
  });

  it('POP3 before login: commands of the wrong state and broken AUTH get -ERR', async () => {
    for (const command of ['STAT', 'RETR 1', 'PASS x', 'AUTH PLAIN ====', 'AUTH PLAIN AAAA', 'AUTH XYZ', '\u0000\u0001\u0002', 'USER']) {
      const { client } = await Pop3Client.connect(t.config.ports.pop3);
      try {
        expect(await within(client.command(command)), JSON.stringify(command)).toMatch(/^-ERR /);
      } finally {
        client.destroy();
      }
    }
  });

  it('SMTP: malformed and out-of-order commands get 4xx/5xx, pipelined garbage included', async () => {
    const { client, greeting } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      expect(greeting.code).toBe(220);
      const expectations: Array<[string, RegExp]> = [
        ['EHLO', /^5/],
        ['EHLO test.example', /^250$/],
        ['DATA', /^5/],
        ['RCPT TO:<x@kura.test>', /^5/],
        ['MAIL FROM:<NIL>', /^5/],
        ['MAIL FROM:<ok@example.org> SIZE=99999999999999999999', /^552$/],
        // Haraka accepts a non-numeric SIZE and unknown MAIL parameters (RFC 5321 wants 501/555):
        // lenient, not dangerous; the message is still size-checked at DATA.
        ['MAIL FROM:<ok@example.org> SIZE=abc', /^(250|5\d\d)$/],
        ['RSET', /^250$/],
        ['MAIL FROM:<ok@example.org> BOGUS=1', /^(250|5\d\d)$/],
        ['RSET', /^250$/],
        ['BDAT 10 LAST', /^5/],
        ['AUTH PLAIN !!!!', /^5/],
        ['XYZZY', /^5/],
      ];
      for (const [command, expected] of expectations) {
        const reply = await within(client.command(command));
        expect(reply === 'closed' ? 'closed' : String(reply.code), command.slice(0, 60)).toMatch(expected);
      }
      expect((await client.command('RSET')).code).toBe(250);
    } finally {
      await client.close();
    }
    // A command line over the limit: 521 and the server closes this one connection.
    const { client: long } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      const reply = await within(long.command(`MAIL FROM:<${'a'.repeat(2000)}@example.org>`));
      expect(reply === 'closed' ? reply : reply.code).toBe(521);
    } finally {
      await long.close();
    }
    // Several commands and binary junk in one write: every line gets an answer in order.
    const { client: piped } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      const replies = [piped.reply(), piped.reply(), piped.reply(), piped.reply()];
      piped.write(Buffer.from('EHLO pipe.example\r\nMAIL FROM:<NIL>\r\n\u0000\u00ff garbage\r\nNOOP\r\n', 'latin1'));
      const codes = (await Promise.all(replies.map((r) => within(r)))).map((r) => (r === 'closed' ? 'closed' : r.code));
      expect(codes[0]).toBe(250);
      expect(codes.slice(1, 3).every((c) => typeof c === 'number' && c >= 500)).toBe(true);
      expect(codes[3]).toBe(250);
    } finally {
      await piped.close();
    }
  });

  it('API: malformed JSON, wrong types, odd ids and unknown routes get 4xx, never a dead process', async () => {
    const base = `http://${t.config.host}:${t.config.ports.api}`;
    const call = async (method: string, path: string, body?: string) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const cases: Array<[string, string, string | undefined]> = [
      ['POST', '/users', '{"username": '],
      ['POST', '/users', 'null'],
      ['POST', '/users', '[]'],
      ['POST', '/users', '{"username": null, "password": null}'],
      ['POST', '/users', '{"username": {"$gt": ""}, "password": ["x"]}'],
      ['POST', '/users', JSON.stringify({ username: 'x'.repeat(10_000), password: 'p' })],
      ['GET', '/users/NIL', undefined],
      ['GET', '/users/%00', undefined],
      ['GET', `/users/${'f'.repeat(5000)}`, undefined],
      ['GET', '/users/000000000000000000000000', undefined],
      ['GET', '/users/resolve/%E0%A4%A', undefined],
      ['PUT', '/users/000000000000000000000000', '{"quota": "lots"}'],
      ['GET', '/users?limit=-1&next=garbage', undefined],
      ['GET', '/no/such/route', undefined],
      ['DELETE', '/users/NIL', undefined],
    ];
    for (const [method, path, body] of cases) {
      const status = await call(method, path, body);
      expect(status, `${method} ${path.slice(0, 40)} ${String(body).slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(status, `${method} ${path.slice(0, 40)}`).toBeLessThan(500);
    }
    expect(await call('GET', '/users?limit=1')).toBe(200);
  });
});
