import crypto from 'node:crypto';
import { dkimSign } from 'mailauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../support/dns-server.js';
import { SmtpClient, sendMail } from '../support/smtp-client.js';
import { newUser, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

const HOSTNAME = 'mx.kura.test';
const AUTH_BUDGET_MS = 1_500;
const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
const publicKey = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** The sending world as DNS describes it: one domain per verdict. */
const dns = new TestDnsServer({
  TXT: {
    'spf-pass.example': ['v=spf1 ip4:127.0.0.1 -all'],
    'spf-fail.example': ['v=spf1 ip4:192.0.2.1 -all'],
    'spf-soft.example': ['v=spf1 ~all'],
    'dkim.example': ['v=spf1 ip4:192.0.2.1 ?all'],
    's1._domainkey.dkim.example': [`v=DKIM1; k=rsa; p=${publicKey}`],
    'reject.example': ['v=spf1 -all'],
    '_dmarc.reject.example': ['v=DMARC1; p=reject'],
    'quarantine.example': ['v=spf1 -all'],
    '_dmarc.quarantine.example': ['v=DMARC1; p=quarantine'],
    // pct at both ends, so the sampling is deterministic: 0 applies the policy to no message, 100 to every one.
    'reject-pct0.example': ['v=spf1 -all'],
    '_dmarc.reject-pct0.example': ['v=DMARC1; p=reject; pct=0'],
    'reject-pct100.example': ['v=spf1 -all'],
    '_dmarc.reject-pct100.example': ['v=DMARC1; p=reject; pct=100'],
    'quarantine-pct0.example': ['v=spf1 -all'],
    '_dmarc.quarantine-pct0.example': ['v=DMARC1; p=quarantine; pct=0'],
  },
  // 127.0.0.2 is listed, as on every real blocklist (RFC 5782's test entry).
  A: { '2.0.0.127.bl.kura.test': ['127.0.0.2'] },
});

function rawMessage(to: string, from: string, subject: string, extraHeaders: string[] = []): Buffer {
  return Buffer.from(
    [
      ...extraHeaders,
      `From: <${from}>`,
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@${from.split('@')[1]}>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      'Authentication test body.',
      '',
    ].join('\r\n'),
  );
}

async function signed(raw: Buffer): Promise<Buffer> {
  const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // mailauth signs what `signatureData` lists; its type declarations describe an older top-level form.
  const options = { signatureData: [{ signingDomain: 'dkim.example', selector: 's1', privateKey }] };
  const result = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  expect(result.errors).toEqual([]);
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}

/** The stored source of the message with this subject in `user`'s `mailbox`, if any. */
async function storedFor(t: TestStack, user: TestUser, mailbox: string, subject: string): Promise<Buffer | undefined> {
  return withImap(
    t.config,
    async (client) => {
      const box = await client.mailboxOpen(mailbox);
      if (box.exists === 0) return undefined;
      for await (const msg of client.fetch('1:*', { envelope: true, source: true })) {
        if (msg.envelope?.subject === subject) return msg.source as Buffer;
      }
      return undefined;
    },
    user,
  );
}

function authResults(source: Buffer | undefined): string {
  const head = source?.toString('latin1').split('\r\n\r\n')[0] ?? '';
  const match = /^Authentication-Results: mx\.kura\.test;[^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(head);
  return match?.[0].replace(/\r\n[ \t]+/g, ' ') ?? '';
}

// Up before the stack (whose config names its port), down after it.
beforeAll(() => dns.start());
afterAll(() => dns.stop());

describe('sender authentication and DNS blocklists against a loopback DNS server', () => {
  const stack = useTestStack('auth', () => ({
    hostname: HOSTNAME,
    trust: {
      dnsServers: [dns.address],
      dnsTimeoutMs: 1_000,
      authentication: { timeoutMs: AUTH_BUDGET_MS },
      blocklists: { zones: ['bl.kura.test'] },
      rspamd: { enabled: false },
    },
  }));
  let t: TestStack;
  // Each test delivers to its own account, so a subject another test sent can never satisfy its lookup.
  let user: TestUser;
  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'auth');
  });

  const message = (from: string, subject: string, extraHeaders: string[] = []) => rawMessage(user.address, from, subject, extraHeaders);
  const send = (from: string, raw: Buffer) => sendMail(t.config.ports.smtp, { from, to: [user.address] }, raw);
  const stored = (mailbox: string, subject: string) => storedFor(t, user, mailbox, subject);

  it.each([
    ['spf-pass.example', 'pass'],
    ['spf-fail.example', 'fail'],
    ['spf-soft.example', 'softfail'],
    ['spf-none.example', 'none'],
  ])('SPF for %s is %s, recorded in one Authentication-Results header', async (domain, verdict) => {
    const subject = `spf ${domain}`;
    expect((await send(`alice@${domain}`, message(`alice@${domain}`, subject))).data?.code).toBe(250);
    const source = await stored('INBOX', subject);
    expect(authResults(source)).toContain(`spf=${verdict} `);
    expect(source?.toString('latin1').match(/^Authentication-Results:/gm)).toHaveLength(1);
  });

  it('a DKIM-signed message passes; the same message changed in transit fails', async () => {
    const good = await signed(message('news@dkim.example', 'dkim good'));
    expect((await send('news@dkim.example', good)).data?.code).toBe(250);
    expect(authResults(await stored('INBOX', 'dkim good'))).toMatch(/dkim=pass header\.i=@dkim\.example header\.s=s1/);

    // A signed header changed on the way: the signature no longer verifies.
    const tampered = Buffer.from(
      (await signed(message('news@dkim.example', 'dkim original')))
        .toString('latin1')
        .replace('Subject: dkim original', 'Subject: dkim tampered'),
      'latin1',
    );
    expect((await send('news@dkim.example', tampered)).data?.code).toBe(250);
    expect(authResults(await stored('INBOX', 'dkim tampered'))).toMatch(/dkim=fail /);
  });

  it('DMARC p=reject is refused with 550 5.7.1; p=quarantine goes to Junk', async () => {
    const rejected = await send('ceo@reject.example', message('ceo@reject.example', 'dmarc reject'));
    expect(rejected.data).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(await stored('INBOX', 'dmarc reject')).toBeUndefined();

    expect((await send('ceo@quarantine.example', message('ceo@quarantine.example', 'dmarc quarantine'))).data?.code).toBe(250);
    expect(await stored('INBOX', 'dmarc quarantine')).toBeUndefined();
    expect(authResults(await stored('Junk', 'dmarc quarantine'))).toMatch(/dmarc=fail .*header\.from=quarantine\.example/);
  });

  it('DMARC pct: pct=100 applies p=reject; pct=0 applies the next lower policy and says so in the header', async () => {
    const always = await send('ceo@reject-pct100.example', message('ceo@reject-pct100.example', 'dmarc pct100'));
    expect(always.data).toMatchObject({ code: 550, enhanced: '5.7.1' });

    // p=reject sampled out: quarantined (Junk), not refused.
    expect((await send('ceo@reject-pct0.example', message('ceo@reject-pct0.example', 'dmarc reject pct0'))).data?.code).toBe(250);
    expect(await stored('INBOX', 'dmarc reject pct0')).toBeUndefined();
    expect(authResults(await stored('Junk', 'dmarc reject pct0'))).toMatch(
      /dmarc=fail \(p=REJECT[^)]*; sampled out by pct=0, quarantine applied\) header\.from=reject-pct0\.example/,
    );

    // p=quarantine sampled out: none, stored in INBOX.
    expect((await send('ceo@quarantine-pct0.example', message('ceo@quarantine-pct0.example', 'dmarc q pct0'))).data?.code).toBe(250);
    expect(authResults(await stored('INBOX', 'dmarc q pct0'))).toContain('sampled out by pct=0, none applied');
  });

  it('refuses a client listed on a blocklist at connect (554 5.7.1), asks DNS once per IP, lets others in', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const listed = await SmtpClient.connect(t.config.ports.smtp, '127.0.0.1', '127.0.0.2');
      await listed.client.close();
      expect(listed.greeting).toMatchObject({ code: 554, enhanced: '5.7.1' });
      expect(listed.greeting.text).toContain('bl.kura.test');
    }
    // The second connection was answered from the cache.
    expect(dns.queries.filter((q) => q === 'A 2.0.0.127.bl.kura.test')).toHaveLength(1);
    const clean = await SmtpClient.connect(t.config.ports.smtp, '127.0.0.1', '127.0.0.4');
    await clean.client.close();
    expect(clean.greeting.code).toBe(220);
  });

  it('removes forged X-Kura-* and Authentication-Results of its own authserv-id, leaving every other byte', async () => {
    const forged = ['X-Kura-Scan: clean', `Authentication-Results: ${HOSTNAME}; dmarc=pass header.from=spf-pass.example`];
    const foreign = 'Authentication-Results: relay.example.net;\r\n spf=pass smtp.mailfrom=spf-pass.example';
    const hint = 'x-kura-scan-hint:  whatever';
    const raw = message('alice@spf-pass.example', 'forged headers', [...forged, foreign, hint]);
    expect((await send('alice@spf-pass.example', raw)).data?.code).toBe(250);
    const source = (await stored('INBOX', 'forged headers'))?.toString('latin1') ?? '';
    expect(source).not.toMatch(/^X-Kura-Scan/im);
    expect(source.match(/^Authentication-Results: mx\.kura\.test/gm)).toHaveLength(1);
    expect(authResults(Buffer.from(source, 'latin1'))).toContain('spf=pass ');
    // Everything the sender wrote, minus the forged fields, arrives byte for byte below Kura's trace headers.
    let rest = raw.toString('latin1');
    for (const line of [...forged, hint]) rest = rest.replace(`${line}\r\n`, '');
    expect(source.endsWith(rest)).toBe(true);
    expect(source).toContain(foreign);
  });

  it('with the DNS server down, mail is still accepted (temperror recorded) and no client is refused', async () => {
    await dns.stop();
    try {
      const greeting = await SmtpClient.connect(t.config.ports.smtp, '127.0.0.1', '127.0.0.3');
      await greeting.client.close();
      expect(greeting.greeting.code).toBe(220);
      const reply = await send('alice@reject.example', message('alice@reject.example', 'dns down'));
      // Accepted, not deferred: a DNS outage must not hold up mail (the verdict says temperror instead).
      expect(reply.data?.code).toBe(250);
      expect(authResults(await stored('INBOX', 'dns down'))).toMatch(/spf=temperror/);
    } finally {
      await dns.start();
    }
  });

  it('a DNS server that hangs costs the authentication budget, not the message', async () => {
    dns.silent = true;
    try {
      const started = Date.now();
      const reply = await send('alice@spf-pass.example', message('alice@spf-pass.example', 'dns hangs'));
      expect(reply.data?.code).toBe(250);
      expect(Date.now() - started).toBeLessThan(AUTH_BUDGET_MS + 5_000);
    } finally {
      dns.silent = false;
    }
    expect(authResults(await stored('INBOX', 'dns hangs'))).toContain(`dmarc=temperror (no verdict within ${AUTH_BUDGET_MS} ms)`);
  });
});
