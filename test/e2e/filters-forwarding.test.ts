import crypto from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findOutbound, openStore, type Store } from '@kura/store';
import { authenticate } from 'mailauth';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../support/dns-server.js';
import { startSink } from '../support/sink.js';
import { sendMail } from '../support/smtp-client.js';
import { newUser, type TestStack, type TestUser, useTestStack, wildduckApi, withImap } from '../support/stack.js';

const HOSTNAME = 'mx.kura.test';
const SRS_DOMAIN = 'fwd.kura.test';
const SENDER = 'alice@sender.example';

/** Junk when the body says BUYNOW: a scanner whose verdict the test controls. */
const SCANNER = `#!/bin/sh
case "$(cat)" in
  *BUYNOW*) exit 1 ;;
esac
exit 0
`;

/** The world as DNS describes it: the sender's and Kura's rewrite domain's SPF; the DKIM key is added once WildDuck made it. */
const zone = new TestDnsServer({
  TXT: {
    'sender.example': ['v=spf1 ip4:127.0.0.1 -all'],
    [SRS_DOMAIN]: ['v=spf1 ip4:127.0.0.1 -all'],
  },
});
const sink = await startSink();
/** A user's own server, named by a relay target or mtaRelay (with credentials, as users give them). */
const RELAY_AUTH = { user: 'relay-user', pass: 'relay p@ss' };
const userRelay = await startSink(() => {}, { auth: RELAY_AUTH });
const relayUrl = `smtp://${RELAY_AUTH.user}:${encodeURIComponent(RELAY_AUTH.pass)}@127.0.0.1:${userRelay.port}`;

/** OpenPGP as WildDuck uses it (its own dependency), for the user's key and to read what was encrypted. */
const openpgp = createRequire(createRequire(import.meta.url).resolve('@zone-eu/wildduck/package.json'))('openpgp') as {
  generateKey(o: Record<string, unknown>): Promise<{ publicKey: string; privateKey: string }>;
  readPrivateKey(o: { armoredKey: string }): Promise<unknown>;
  readMessage(o: { armoredMessage: string }): Promise<unknown>;
  decrypt(o: Record<string, unknown>): Promise<{ data: string }>;
};

beforeAll(() => zone.start());
afterAll(async () => {
  await zone.stop();
  await sink.close();
  await userRelay.close();
});

function message(to: string, subject: string, body = 'Hello.'): Buffer {
  return Buffer.from(
    [
      `From: Alice <${SENDER}>`,
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@sender.example>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe("WildDuck's filters, spam level and forwarding on Kura's MX", () => {
  const stack = useTestStack('forwarding', (dataDir) => {
    const scanner = path.join(dataDir, 'scanner.sh');
    fs.writeFileSync(scanner, SCANNER, { mode: 0o755 });
    return {
      hostname: HOSTNAME,
      smtp: { scanner: { command: ['sh', scanner] } },
      // A small hourly budget, so that one test can spend it (each test's users have their own).
      outbound: { relay: `127.0.0.1:${sink.port}`, srsDomain: SRS_DOMAIN, perUserPerHour: 4 },
      trust: { dnsServers: [zone.address], rspamd: { enabled: false } },
    };
  });
  let t: TestStack;
  let store: Store;

  beforeAll(async () => {
    t = stack();
    store = await openStore({ mongodbUri: t.config.mongodbUri, redisUrl: t.config.redisUrl });
  });
  afterAll(() => store?.close());

  const api = (method: string, url: string, body?: unknown) => wildduckApi(t.config)(method, url, body);
  const send = async (to: string[], raw: Buffer, from = SENDER) => (await sendMail(t.config.ports.smtp, { from, to }, raw)).data;

  /** Subject → flags of every message in `mailbox` of `user`. */
  const folder = (user: TestUser, mailbox: string) =>
    withImap(
      t.config,
      async (client) => {
        const out = new Map<string, Set<string>>();
        const box = await client.mailboxOpen(mailbox);
        if (box.exists === 0) return out;
        for await (const msg of client.fetch('1:*', { envelope: true, flags: true }))
          out.set(msg.envelope?.subject ?? '', msg.flags ?? new Set());
        return out;
      },
      user,
    );

  /** The stored source of the message with this subject in `mailbox` of `user`. */
  const source = (user: TestUser, mailbox: string, subject: string) =>
    withImap(
      t.config,
      async (client) => {
        await client.mailboxOpen(mailbox);
        for await (const msg of client.fetch('1:*', { envelope: true, source: true }))
          if (msg.envelope?.subject === subject && msg.source) return msg.source;
        throw new Error(`no message "${subject}" in ${mailbox}`);
      },
      user,
    );

  /** kura_inbound_forwards_total for one result, from the MX's metrics endpoint. */
  const forwardCount = async (result: string) => {
    const text = await (await fetch(`http://127.0.0.1:${t.config.ports.smtpMetrics}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`kura_inbound_forwards_total{result="${result}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('a filter moves a message to a folder, another flags it and marks it seen, a third deletes it', async () => {
    const user = await newUser(t.config, 'filters');
    const receipts = await api('POST', `/users/${user.id}/mailboxes`, { path: 'Receipts' });
    // At once, as a script or the self-service page would (WildDuck answered before the folder was written: patch 013).
    await api('POST', `/users/${user.id}/filters`, { query: { subject: 'receipt' }, action: { mailbox: receipts.id } });
    await api('POST', `/users/${user.id}/filters`, { query: { subject: 'urgent' }, action: { flag: true, seen: true } });
    await api('POST', `/users/${user.id}/filters`, { query: { subject: 'unwanted' }, action: { delete: true } });

    for (const subject of ['Your receipt 42', 'urgent: call me', 'unwanted offer', 'plain note']) {
      expect((await send([user.address], message(user.address, subject)))?.code).toBe(250);
    }
    const inbox = await folder(user, 'INBOX');
    expect([...inbox.keys()].sort()).toEqual(['plain note', 'urgent: call me']);
    expect([...(inbox.get('urgent: call me') ?? [])].sort()).toEqual(['\\Flagged', '\\Seen']);
    expect([...(inbox.get('plain note') ?? [])]).toEqual([]);
    expect([...(await folder(user, 'Receipts')).keys()]).toEqual(['Your receipt 42']);
    expect((await folder(user, 'Junk')).size).toBe(0);
  });

  it("the user's spam level weighs the scanner's verdict: Junk for a strict user, INBOX for a lax one", async () => {
    const strict = await newUser(t.config, 'strict', { spamLevel: 25 });
    const lax = await newUser(t.config, 'lax', { spamLevel: 90 });
    // One transaction, two recipients: one verdict, two placements.
    const junk = message(strict.address, 'cheap pills', 'BUYNOW while stocks last');
    expect((await send([strict.address, lax.address], junk))?.code).toBe(250);
    expect((await send([strict.address], message(strict.address, 'lunch?')))?.code).toBe(250);

    expect([...(await folder(strict, 'Junk')).keys()]).toEqual(['cheap pills']);
    expect([...(await folder(strict, 'INBOX')).keys()]).toEqual(['lunch?']);
    expect([...(await folder(lax, 'INBOX')).keys()]).toEqual(['cheap pills']);
    expect((await folder(lax, 'Junk')).size).toBe(0);
  });

  it('forwards to an external target with an SRS envelope and an ARC seal that verify downstream, keeping a copy', async () => {
    const key = await api('POST', '/dkim', { domain: t.config.demo.domain, selector: 'fwd2026' });
    const record = key.dnsTxt as { name: string; value: string };
    zone.zone.TXT = { ...zone.zone.TXT, [record.name.toLowerCase()]: [record.value] };

    const target = `bob-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    const user = await newUser(t.config, 'forwarder', { targets: [target] });
    const raw = message(user.address, 'please pass this on');
    expect((await send([user.address], raw))?.code).toBe(250);
    expect([...(await folder(user, 'INBOX')).keys()]).toEqual(['please pass this on']);

    const forwarded = await arrival(target);
    expect(forwarded.to).toEqual([target]);
    expect(forwarded.from).toMatch(new RegExp(`^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=sender\\.example=alice@${SRS_DOMAIN.replace(/\./g, '\\.')}$`));
    const text = forwarded.raw.toString('latin1');
    expect(text).toContain(`X-Kura-Forwarded: ${HOSTNAME}\r\n`);
    expect(text.endsWith(raw.toString('latin1'))).toBe(true);

    // What the next hop sees: SPF of the SRS domain passes for Kura's address, the ARC chain Kura started validates.
    const resolver = new dns.promises.Resolver();
    resolver.setServers([zone.address]);
    const verdict = await authenticate(forwarded.raw, {
      ip: '127.0.0.1',
      sender: forwarded.from,
      helo: HOSTNAME,
      mta: 'next-hop.example',
      resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT'),
    } as Parameters<typeof authenticate>[1]);
    expect(verdict.spf ? verdict.spf.status.result : undefined).toBe('pass');
    expect(verdict.arc ? verdict.arc.status.result : undefined).toBe('pass');
    const seal = /^ARC-Seal:[^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(text)?.[0].replace(/\s+/g, '') ?? '';
    for (const tag of ['i=1;', 'cv=none;', 'd=kura.test;', 's=fwd2026;']) expect(seal).toContain(tag);
    expect(text).toMatch(/^ARC-Authentication-Results: i=1; mx\.kura\.test;[\s\S]*?spf=pass/m);

    // A bounce to the SRS address comes back to Kura's MX and goes on to the original sender.
    const bounce = Buffer.from(
      `From: MAILER-DAEMON@remote.example\r\nTo: <${forwarded.from}>\r\nSubject: undeliverable\r\n\r\nNo such user.\r\n`,
    );
    expect((await send([forwarded.from], bounce, ''))?.code).toBe(250);
    const returned = await arrival(SENDER, (m) => m.raw.includes('undeliverable'));
    expect(returned.from).toBe('');
    // A forged or altered SRS address is refused: Kura relays no backscatter.
    const forged = forwarded.from.replace(/^SRS0=[A-Z2-7]{6}/, 'SRS0=AAAAAA');
    const refused = await sendMail(t.config.ports.smtp, { from: '', to: [forged] }, bounce);
    expect(refused.rcpts[0]?.code).toBe(550);
  });

  it("a forwarded address of WildDuck's (no mailbox) sends every message to its targets; no key, no seal", async () => {
    const target = `dan-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    // A domain without a DKIM key in WildDuck: the forward goes, unsealed.
    const address = `team@lists-${crypto.randomBytes(3).toString('hex')}.test`;
    await api('POST', '/addresses/forwarded', { address, targets: [target] });
    expect((await send([address], message(address, 'for the team')))?.code).toBe(250);
    const forwarded = await arrival(target);
    expect(forwarded.from).toMatch(/^SRS0=.*=sender\.example=alice@fwd\.kura\.test$/);
    const text = forwarded.raw.toString('latin1');
    expect(text).toContain('Subject: for the team\r\n');
    expect(text).not.toMatch(/^ARC-/m);
  });

  it('a message Kura already forwarded three times is stored but not forwarded again', async () => {
    const user = await newUser(t.config, 'loop', { targets: [`erin-${crypto.randomBytes(3).toString('hex')}@remote.example`] });
    const marks = Array.from({ length: 3 }, () => `X-Kura-Forwarded: ${HOSTNAME}\r\n`).join('');
    const looped = Buffer.concat([Buffer.from(marks), message(user.address, 'round and round')]);
    expect((await send([user.address], looped))?.code).toBe(250);
    expect([...(await folder(user, 'INBOX')).keys()]).toEqual(['round and round']);
    // Forwards are queued before the 250: none is there now, none will be.
    expect(await store.db.collection('kura_outbound').countDocuments({ user: new ObjectId(user.id) })).toBe(0);
  });

  it('over the hourly sending budget the copy is stored and the forward waits in the queue, not dropped', async () => {
    const targets = ['f1', 'f2', 'f3'].map((name) => `${name}-${crypto.randomBytes(3).toString('hex')}@remote.example`);
    const user = await newUser(t.config, 'budget', { targets });
    expect((await send([user.address], message(user.address, 'first of two')))?.code).toBe(250);
    // Three recipients of the budget of four are spent: the next three do not fit this hour.
    expect((await send([user.address], message(user.address, 'second of two')))?.code).toBe(250);
    expect([...(await folder(user, 'INBOX')).keys()].sort()).toEqual(['first of two', 'second of two']);
    const entries = await store.db
      .collection('kura_outbound')
      .find({ user: new ObjectId(user.id), kind: 'forward' })
      .sort({ created: 1 })
      .toArray();
    expect(entries).toHaveLength(2);
    // The first fit the budget (charged when queued); the delivery agent may already hold it (its lease moves
    // nextAttemptAt minutes ahead) or have sent it, so its schedule says nothing here.
    expect(entries[0]?.rateCharged).toBe(true);
    expect(entries[1]?.rateCharged).toBeUndefined();
    expect(entries[1]?.status).toBe('queued');
    expect(entries[1]?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
  });

  it('a retried delivery queues its forward once, also when the retry has to store the copy again', async () => {
    const target = `carol-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    const user = await newUser(t.config, 'retry', { targets: [target] });
    const raw = message(user.address, 'sent twice');
    expect((await send([user.address], raw))?.code).toBe(250);
    // The sender missed the 250 and sends the same bytes again.
    expect((await send([user.address], raw))?.code).toBe(250);
    // An attempt that queued the forward and died before storing the copy: the next attempt runs the filters again.
    const userId = new ObjectId(user.id);
    await store.db.collection('kura_deliveries').deleteMany({ user: userId });
    await store.db.collection('messages').deleteMany({ user: userId });
    expect((await send([user.address], raw))?.code).toBe(250);

    await arrival(target);
    const queued = await store.db.collection('kura_outbound').countDocuments({ user: userId, kind: 'forward' });
    expect(queued).toBe(1);
    // Past a few of the outbound worker's polls, the sink still has one copy.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(sink.received.filter((m) => m.to.includes(target))).toHaveLength(1);
    expect([...(await folder(user, 'INBOX')).keys()]).toEqual(['sent twice']);
  });

  it("over the user's own forward limit (WildDuck's forwards per 24 h) the copy is stored and the forward not sent", async () => {
    const target = `gina-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    const user = await newUser(t.config, 'fwdlimit', { targets: [target], forwards: 1 });
    const before = await forwardCount('over-limit');
    for (const subject of ['within the limit', 'over the limit'])
      expect((await send([user.address], message(user.address, subject)))?.code).toBe(250);
    expect([...(await folder(user, 'INBOX')).keys()].sort()).toEqual(['over the limit', 'within the limit']);
    const queued = await store.db
      .collection('kura_outbound')
      .find({ user: new ObjectId(user.id), kind: 'forward' })
      .toArray();
    // Forwards are queued before the 250: one entry now means the second was never queued.
    expect(queued).toHaveLength(1);
    expect((await arrival(target)).raw.toString('latin1')).toContain('Subject: within the limit\r\n');
    // WildDuck's counter, which its API and its own MX share: one forward spent of one.
    expect(await store.redis.get(`wdf:${user.id}`)).toBe('1');
    expect(await forwardCount('over-limit')).toBe(before + 1);
  });

  it("a relay target gets the message through the user's server; mtaRelay routes mail forwards; an http target is refused and counted", async () => {
    const hook = `https://hooks.example/${crypto.randomBytes(3).toString('hex')}`;
    const user = await newUser(t.config, 'relaytarget', { targets: [relayUrl, hook] });
    const unsupported = await forwardCount('unsupported-target');
    expect((await send([user.address], message(user.address, 'via my own server')))?.code).toBe(250);
    expect([...(await folder(user, 'INBOX')).keys()]).toEqual(['via my own server']);
    // WildDuck's relay semantics: the recipient's own address, handed to the named server, which the user logs in to.
    const relayed = await arrival(user.address, () => true, userRelay);
    expect(relayed.user).toBe(RELAY_AUTH.user);
    expect(relayed.from).toMatch(/^SRS0=.*=sender\.example=alice@fwd\.kura\.test$/);
    expect(relayed.raw.toString('latin1')).toContain('Subject: via my own server\r\n');
    expect(sink.received.some((m) => m.to.includes(user.address))).toBe(false);
    expect(await forwardCount('unsupported-target')).toBe(unsupported + 1);
    const entries = await store.db
      .collection('kura_outbound')
      .find({ user: new ObjectId(user.id), kind: 'forward' })
      .toArray();
    expect(entries).toHaveLength(1);
    // The operator's view (kura queue) names the user's server, not the user's password.
    const shown = await findOutbound(store, entries[0]?._id as ObjectId);
    expect(shown?.route).toBe(`smtp://***@127.0.0.1:${userRelay.port}`);

    const target = `hal-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    const routed = await newUser(t.config, 'mtarelay', { targets: [target] });
    // WildDuck takes mtaRelay on an update only (user creation ignores it).
    await api('PUT', `/users/${routed.id}`, { mtaRelay: relayUrl });
    expect((await send([routed.address], message(routed.address, 'through mtaRelay')))?.code).toBe(250);
    expect((await arrival(target, () => true, userRelay)).user).toBe(RELAY_AUTH.user);
    expect(sink.received.some((m) => m.to.includes(target))).toBe(false);
  });

  it("encryptMessages stores the copy encrypted with the user's PGP key; encryptForwarded encrypts the forward only", async () => {
    const email = `pgp-${crypto.randomBytes(3).toString('hex')}@kura.test`;
    const keys = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519', userIDs: [{ name: 'Test', email }], format: 'armored' });
    const decrypt = async (raw: Buffer) => {
      const armored = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(raw.toString('latin1'))?.[0] ?? '';
      const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: keys.privateKey });
      return (await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys })).data;
    };

    const sealed = await newUser(t.config, 'encstore', { pubKey: keys.publicKey, encryptMessages: true });
    const plain = await newUser(t.config, 'encplain');
    // One transaction for both: encrypting one recipient's copy must leave the other's bytes alone.
    const raw = message(sealed.address, 'secret stored', 'The vault code is 7.');
    expect((await send([sealed.address, plain.address], raw))?.code).toBe(250);
    const stored = await source(sealed, 'INBOX', 'secret stored');
    expect((await source(plain, 'INBOX', 'secret stored')).toString('latin1').endsWith(raw.toString('latin1'))).toBe(true);
    expect(stored.toString('latin1')).toMatch(
      /^Content-Type: multipart\/encrypted;[^\r\n]*(\r\n[ \t][^\r\n]*)*protocol="application\/pgp-encrypted"/m,
    );
    expect(stored.toString('latin1')).not.toContain('The vault code is 7.');
    expect(await decrypt(stored)).toContain('The vault code is 7.');

    const target = `ivy-${crypto.randomBytes(3).toString('hex')}@remote.example`;
    const forwarder = await newUser(t.config, 'encfwd', { pubKey: keys.publicKey, encryptForwarded: true, targets: [target] });
    expect((await send([forwarder.address], message(forwarder.address, 'secret forwarded', 'The gate code is 9.')))?.code).toBe(250);
    const forwarded = await arrival(target);
    expect(forwarded.raw.toString('latin1')).not.toContain('The gate code is 9.');
    expect(await decrypt(forwarded.raw)).toContain('The gate code is 9.');
    // Only the forward is encrypted: the user's own copy stays readable.
    expect((await source(forwarder, 'INBOX', 'secret forwarded')).toString('latin1')).toContain('The gate code is 9.');
  });
});

/** The first message `at` (the sink standing in for the Internet) received for `to` (and matching `match`), within 20 s. */
async function arrival(to: string, match: (m: (typeof sink.received)[number]) => boolean = () => true, at = sink) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = at.received.find((m) => m.to.includes(to) && match(m));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`nothing arrived at the sink for ${to}`);
}
