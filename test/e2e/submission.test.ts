import fs from 'node:fs';
import { submissionCertificates } from '@kura/cli';
import type { KuraConfig } from '@kura/config';
import { openStore, type Store, suppressAddress } from '@kura/store';
import { dkimVerify } from 'mailauth';
import { MongoClient } from 'mongodb';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/outbound-rig.js';
import { startSink } from '../support/sink.js';
import { SmtpClient } from '../support/smtp-client.js';
import { inboxSources, newUser, type TestUser, useTestStack } from '../support/stack.js';

/**
 * Authenticated submission over real sockets: the STARTTLS port (587 in
 * production) and the implicit-TLS port (465), AUTH against WildDuck, the
 * sender rules, local delivery read back over IMAP, remote recipients in the
 * outbound queue.
 */
describe('submission', () => {
  // "The Internet": the delivery agent (inside the stack's MX) relays remote mail to this sink.
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink?.close();
  });
  // Its own block, so that the sink above is up before the stack's hooks run.
  describe('with the stack', () => {
    const stack = useTestStack('submission', () => ({
      smtp: { maxMessageBytes: 200_000 },
      submission: { authFailuresPerIp: 3, authFailureDelayMs: 50 },
      // Every test user is new, so this budget is each test's own (the domain's is far above what the file sends).
      outbound: { perUserPerHour: 3, relay: `127.0.0.1:${sink.port}`, relayTls: 'none', retryInitialSeconds: 0.3, retryMaxSeconds: 0.6 },
      // Submitted mail is not scanned; the stack's scanner is not needed here.
      trust: { rspamd: { enabled: false } },
    }));
    let config: KuraConfig;
    let ca: Buffer;
    let mongo: MongoClient;
    let store: Store;
    let dkimTxt: { name: string; value: string };

    beforeAll(async () => {
      config = stack().config;
      const tls = submissionCertificates(config);
      if (!tls.ca) throw new Error('the local stack has no CA file for its submission certificate');
      ca = fs.readFileSync(tls.ca);
      mongo = await MongoClient.connect(config.mongodbUri);
      store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
      // A DKIM key for the users' domain, made through WildDuck's API as an operator would.
      const res = await fetch(`http://${config.host}:${config.ports.api}/dkim`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain: config.demo.domain, selector: 'sub' }),
      });
      const dkim = (await res.json()) as { success?: boolean; dnsTxt?: { name: string; value: string } };
      if (!dkim.success || !dkim.dnsTxt) throw new Error(`creating a DKIM key failed: ${JSON.stringify(dkim)}`);
      dkimTxt = dkim.dnsTxt;
    });
    afterAll(async () => {
      await mongo?.close();
      await store?.close();
    });

    type Auth = { user: string; pass: string };
    /** A nodemailer transport: implicit TLS (465) or STARTTLS required (587), the local CA trusted. */
    const transport = (auth: Auth, secure: boolean, localAddress?: string) =>
      nodemailer.createTransport({
        host: config.host,
        port: secure ? config.ports.submissions : config.ports.submission,
        secure,
        requireTLS: !secure,
        tls: { ca },
        auth,
        localAddress,
      });
    const login = (user: TestUser): Auth => ({ user: user.username, pass: user.password });
    /** What the server answered when nodemailer gave up ("550 5.7.1 …"). */
    const refusal = async (work: Promise<unknown>): Promise<string> => {
      const err = (await work.then(
        () => undefined,
        (e: unknown) => e,
      )) as { response?: string; message?: string } | undefined;
      if (!err) throw new Error('the server accepted what it should have refused');
      return err.response ?? err.message ?? '';
    };
    const message = (from: string, to: string, subject: string, extra = '') =>
      Buffer.from(
        `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
          `Message-ID: <${subject.replace(/\W+/g, '-')}@test.example>\r\n${extra}\r\nhello from ${subject}\r\n`,
      );

    it('on the STARTTLS port neither offers nor accepts AUTH before TLS', async () => {
      const { client, greeting } = await SmtpClient.connect(config.ports.submission, config.host);
      try {
        expect(greeting.code).toBe(220);
        const ehlo = await client.command('EHLO client.example');
        expect(ehlo.code).toBe(250);
        expect(ehlo.text).toMatch(/^STARTTLS$/m);
        expect(ehlo.text).not.toMatch(/^AUTH/m);
        const user = await newUser(config, 'sub-plain');
        const auth = await client.command(`AUTH PLAIN ${Buffer.from(`\0${user.username}\0${user.password}`).toString('base64')}`);
        expect(auth.code).toBe(538);
        expect(auth.enhanced).toBe('5.7.0');
        const mail = await client.command(`MAIL FROM:<${user.address}>`);
        expect(mail.code).toBe(530);
        expect(mail.enhanced).toBe('5.7.0');
      } finally {
        await client.close();
      }
    });

    it('refuses a wrong password with 535 5.7.8, and an address with too many failures with 454 4.7.0', async () => {
      const user = await newUser(config, 'sub-wrong');
      // Its own client address, so that the failure count does not touch the other tests.
      const from = '127.0.0.7';
      for (let i = 0; i < 3; i++) {
        const answer = await refusal(transport({ user: user.username, pass: 'not-the-password' }, true, from).verify());
        expect(answer).toMatch(/^535 5\.7\.8 /);
      }
      // Past the limit even the right password is refused without being checked.
      expect(await refusal(transport(login(user), true, from).verify())).toMatch(/^454 4\.7\.0 Too many failed logins/);
      // Other addresses are not affected.
      await expect(transport(login(user), true).verify()).resolves.toBe(true);
    });

    it('answers a user name WildDuck cannot parse like a wrong password (535), not as a server fault', async () => {
      const answer = await refusal(transport({ user: 'no such user!', pass: 'whatever-password' }, true, '127.0.0.9').verify());
      expect(answer).toMatch(/^535 5\.7\.8 /);
    });

    it('accepts an application-specific password (scope smtp) on the implicit-TLS port', async () => {
      const sender = await newUser(config, 'sub-asp');
      const rcpt = await newUser(config, 'sub-asp-rcpt');
      const res = await fetch(`http://${config.host}:${config.ports.api}/users/${sender.id}/asps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'mail client', scopes: ['smtp'] }),
      });
      const asp = (await res.json()) as { success?: boolean; password?: string };
      expect(asp.success).toBe(true);
      const subject = `asp ${Date.now()}`;
      const info = await transport({ user: sender.username, pass: asp.password as string }, true).sendMail({
        envelope: { from: sender.address, to: [rcpt.address] },
        raw: message(sender.address, rcpt.address, subject),
      });
      expect(info.response).toMatch(/^250 2\.6\.0 Message accepted \(1 stored, 0 queued\)/);
      const inbox = await inboxSources(config, rcpt);
      expect(inbox.map((m) => m.source.toString())).toEqual([expect.stringContaining(`Subject: ${subject}`)]);
    });

    it('refuses a forged envelope sender and a forged From with 550 5.7.1; an alias of the user is fine', async () => {
      const sender = await newUser(config, 'sub-forge');
      const rcpt = await newUser(config, 'sub-forge-rcpt');
      const other = await newUser(config, 'sub-forge-other');
      const smtp = transport(login(sender), false);
      const forgedEnvelope = await refusal(
        smtp.sendMail({
          envelope: { from: other.address, to: [rcpt.address] },
          raw: message(sender.address, rcpt.address, 'forged envelope'),
        }),
      );
      expect(forgedEnvelope).toMatch(/^550 5\.7\.1 Envelope sender <.+> is not an address of /);
      const forgedFrom = await refusal(
        smtp.sendMail({
          envelope: { from: sender.address, to: [rcpt.address] },
          raw: message(`"The Dean" <${other.address}>`, rcpt.address, 'forged from'),
        }),
      );
      expect(forgedFrom).toMatch(/^550 5\.7\.1 Header From\/Sender address <.+> is not an address of /);
      // An alias WildDuck knows for the user is the user's own address.
      const alias = `alias-${sender.username}@${config.demo.domain}`;
      const added = await fetch(`http://${config.host}:${config.ports.api}/users/${sender.id}/addresses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ address: alias }),
      });
      expect(added.status).toBe(200);
      const info = await smtp.sendMail({ envelope: { from: alias, to: [rcpt.address] }, raw: message(alias, rcpt.address, 'from alias') });
      expect(info.response).toMatch(/^250 /);
      // Nothing forged reached the recipient.
      const subjects = (await inboxSources(config, rcpt)).map((m) => /^Subject: (.*)$/m.exec(m.source.toString())?.[1]);
      expect(subjects).toEqual(['from alias']);
    });

    it('stores a local recipient’s copy before 250 (read back over IMAP) with a Received line that hides the client address', async () => {
      const sender = await newUser(config, 'sub-local');
      const rcpt = await newUser(config, 'sub-local-rcpt');
      const subject = `local ${Date.now()}`;
      const raw = message(sender.address, rcpt.address, subject);
      const info = await transport(login(sender), false).sendMail({ envelope: { from: sender.address, to: [rcpt.address] }, raw });
      expect(info.response).toMatch(/^250 /);
      const [stored, ...more] = await inboxSources(config, rcpt);
      expect(more).toEqual([]);
      const source = stored?.source as Buffer;
      // Kura's Received line on top, then exactly the bytes the client sent.
      expect(source.subarray(source.length - raw.length).equals(raw)).toBe(true);
      const trace = source.subarray(0, source.length - raw.length).toString();
      expect(trace).toMatch(new RegExp(`^Received: by ${config.hostname} \\(Kura submission\\) with ESMTPSA \\(TLSv1\\.[23]\\) id `));
      expect(trace).not.toContain('127.0.0.1');
    });

    it('queues remote recipients durably (kind submission); the delivery agent sends them DKIM-signed; locals are stored', async () => {
      const sender = await newUser(config, 'sub-remote');
      const local = await newUser(config, 'sub-remote-local');
      const remote = `someone-${sender.username}@remote.example`;
      const subject = `remote ${Date.now()}`;
      const info = await transport(login(sender), false).sendMail({
        envelope: { from: sender.address, to: [remote, local.address] },
        raw: message(sender.address, `${remote}, ${local.address}`, subject),
      });
      expect(info.response).toMatch(/^250 2\.6\.0 Message accepted \(1 stored, 1 queued\)/);
      expect(await inboxSources(config, local)).toHaveLength(1);
      const entry = await mongo.db().collection('kura_outbound').findOne({ 'envelope.to': remote });
      expect(entry).toMatchObject({ kind: 'submission', envelope: { from: sender.address, to: [remote] } });
      expect(String(entry?.user)).toBe(sender.id);
      // Delivered by the agent: only the remote recipient, from the user's address, signed for the user's domain.
      const got = await eventually(async () => sink.received.find((m) => m.to.includes(remote)), 20_000, 'delivery to the sink');
      expect(got.to).toEqual([remote]);
      expect(got.from).toBe(sender.address);
      expect(got.raw.toString()).toContain(`Subject: ${subject}`);
      const resolver = async (name: string, type: string) => {
        if (type === 'TXT' && name === dkimTxt.name) return [[dkimTxt.value]];
        throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
      };
      const verdict = await dkimVerify(got.raw, { resolver: resolver as never });
      expect(verdict.results.map((r) => [r.signingDomain, r.status.result])).toEqual([[config.demo.domain, 'pass']]);
      await eventually(
        async () => (await mongo.db().collection('kura_outbound').findOne({ _id: entry?._id }))?.status === 'sent',
        10_000,
        'status sent',
      );
    });

    it('answers 451 4.7.1 once the user’s hourly budget of remote recipients is spent; local mail still goes', async () => {
      const sender = await newUser(config, 'sub-limit');
      const local = await newUser(config, 'sub-limit-local');
      const smtp = transport(login(sender), false);
      const send = (to: string[], subject: string) =>
        smtp.sendMail({ envelope: { from: sender.address, to }, raw: message(sender.address, to.join(', '), subject) });
      const remote = (n: number) => `r${n}-${sender.username}@remote.example`;
      expect((await send([remote(1), remote(2)], 'two of three')).response).toMatch(/^250 /);
      // Two more would make four: the whole message is refused, none of it queued.
      expect(await refusal(send([remote(3), remote(4)], 'over'))).toMatch(
        /^451 4\.7\.1 Sending limit reached for sub-limit-\S+ \(3 recipients per hour\)/,
      );
      expect(
        await mongo
          .db()
          .collection('kura_outbound')
          .countDocuments({ 'envelope.to': remote(3) }),
      ).toBe(0);
      expect((await send([local.address], 'local is not counted')).response).toMatch(/^250 /);
      expect((await send([remote(5)], 'the last one')).response).toMatch(/^250 /);
      // Spent: refused already at MAIL FROM.
      expect(await refusal(send([remote(6)], 'spent'))).toMatch(/^451 4\.7\.1 Sending limit reached/);
    });

    it('refuses a suppressed remote recipient with 550 5.1.1 and the bounce reason; the others of the message go', async () => {
      const sender = await newUser(config, 'sub-suppressed');
      const bounced = `gone-${sender.username}@remote.example`;
      const fine = `fine-${sender.username}@remote.example`;
      await suppressAddress(store, bounced, '550 5.1.1 <gone> user unknown', 30);
      const smtp = transport(login(sender), false);
      const answer = await refusal(
        smtp.sendMail({ envelope: { from: sender.address, to: [bounced] }, raw: message(sender.address, bounced, 'to a bounced address') }),
      );
      expect(answer).toMatch(
        /^550 5\.1\.1 Recipient <gone-\S+> is suppressed until \d{4}-\d\d-\d\d after a hard bounce: 550 5\.1\.1 <gone> user unknown/,
      );
      const info = await smtp.sendMail({
        envelope: { from: sender.address, to: [bounced, fine] },
        raw: message(sender.address, fine, 'one of two'),
      });
      expect(info.rejected).toEqual([bounced]);
      expect(info.accepted).toEqual([fine]);
      expect(await mongo.db().collection('kura_outbound').countDocuments({ 'envelope.to': bounced })).toBe(0);
    });

    it('refuses a message over the size limit with 552 and stores nothing', async () => {
      const sender = await newUser(config, 'sub-size');
      const rcpt = await newUser(config, 'sub-size-rcpt');
      const big = message(sender.address, rcpt.address, 'too big', `X-Filler: ${'x'.repeat(900)}\r\n`.repeat(300));
      const answer = await refusal(
        transport(login(sender), true).sendMail({ envelope: { from: sender.address, to: [rcpt.address] }, raw: big }),
      );
      expect(answer).toMatch(/^552 /);
      expect(await inboxSources(config, rcpt)).toEqual([]);
    });

    it('counts logins and sender verdicts in kura_submission_* metrics', async () => {
      const sample = async (pattern: RegExp) => {
        const body = await (await fetch(`http://${config.host}:${config.ports.submissionMetrics}/metrics`)).text();
        return Number(pattern.exec(body)?.[1] ?? 0);
      };
      const rejected = /^kura_submission_auth_total\{result="rejected"\} (\d+)/m;
      const foreign = /^kura_submission_senders_total\{result="rejected",reason="foreign-envelope"\} (\d+)/m;
      const before = { rejected: await sample(rejected), foreign: await sample(foreign) };
      const user = await newUser(config, 'sub-metrics');
      const other = await newUser(config, 'sub-metrics-other');
      await refusal(transport({ user: user.username, pass: 'wrong-password' }, true, '127.0.0.8').verify());
      await refusal(
        transport(login(user), true).sendMail({
          envelope: { from: other.address, to: [user.address] },
          raw: message(user.address, user.address, 'm'),
        }),
      );
      expect(await sample(rejected)).toBe(before.rejected + 1);
      expect(await sample(foreign)).toBe(before.foreign + 1);
    });
  });
});
