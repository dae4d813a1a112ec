import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { guardApiHeaders, SECRET_ENV } from '@kura/config';
import { HaproxyRuntime, probePop3 } from '@kura/guard';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaTestStack, haTestConfig, logTail, startHaTestStack, waitForGuard } from '../support/ha-stack.js';
import { acceptedBy, expectedListeners, INTERNAL_ROLES } from '../support/listener-checks.js';
import { converse, httpProbe, type Listener, listeningSockets, smtpStartTlsSerial, tlsGreeting } from '../support/listeners.js';
import { tempDataDir } from '../support/stack.js';

/**
 * The secured profile of `kura up --ha`, scanned as an attacker on the network
 * would: every listening socket the stack's processes own (from the kernel,
 * not from the config) is tried with a plaintext login and an unauthenticated
 * administrative request; none may accept either.
 *
 * Longer than the house's ~400 lines on purpose: every case runs against the
 * one secured HA stack started below (about a minute to start), and splitting
 * the file would start that stack once per file.
 */
/** The internal address of this stack (API, health, metrics, status page, HAProxy stats); the public one is 127.0.0.1. */
const INTERNAL = '127.0.0.5';

describe('secured HA profile: every listener', { retry: 0 }, () => {
  let ha: HaTestStack;
  let ca: Buffer;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    ha = await startHaTestStack(
      await haTestConfig(
        tempDataDir('ha-sec'),
        {},
        { messagesPerRecipient: '60/1m', recipientsPerSender: '60/1m', concurrentConnectionsPerIp: 10 },
        // Administrative, health and metrics listeners on their own address, so the scan can tell them apart.
        { internalHost: INTERNAL },
      ),
    );
    await waitForGuard(ha, (s) => s.overall === 'up', 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logTail(ha.config, 'guard')}`);
    });
    ca = fs.readFileSync(ha.config.security.tls.ca as string);
    secrets = (ha.config as unknown as { secrets: Record<string, string> }).secrets;
  }, 180_000);

  afterAll(async () => {
    await ha?.stop();
  });

  /** A fresh account of the test's own, through the API with the admin token (as an operator would). */
  async function createUser(prefix: string): Promise<{ id: string; user: string; pass: string; address: string }> {
    const tag = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const user = `${prefix}-${tag}`;
    const pass = `pw-${tag}-${tag}`;
    const address = `${user}@${ha.config.demo.domain}`;
    const created = await httpProbe(
      ha.config.ha.wildduck[0]?.api as number,
      '/users',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-access-token': secrets.apiToken as string },
        body: JSON.stringify({ username: user, password: pass, address }),
      },
      INTERNAL,
    );
    expect(created.status, created.body).toBe(200);
    return { id: (JSON.parse(created.body) as { id: string }).id, user, pass, address };
  }

  it('accepts no plaintext login and no unauthenticated administrative request on any socket', async () => {
    const pids = Object.values(ha.stack.supervisor.pids).filter((p): p is number => typeof p === 'number');
    const sockets: Listener[] = listeningSockets(pids);
    const known = expectedListeners(ha.config);
    const unknown = sockets.filter((s) => !known.has(s.port));
    expect(unknown, 'listeners nobody accounted for').toEqual([]);
    // Administrative, health and metrics endpoints on the internal address only; the rest where configured.
    const misplaced = sockets.filter((s) => {
      const role = known.get(s.port)?.role;
      return role !== undefined && s.address !== (INTERNAL_ROLES.has(role) ? INTERNAL : ha.config.host);
    });
    expect(misplaced, 'listeners on the wrong address').toEqual([]);
    expect(sockets.filter((s) => s.address === INTERNAL).length).toBeGreaterThanOrEqual(9);
    // Every configured listener is really there (the scan is not vacuous).
    expect(new Set(sockets.map((s) => s.port))).toEqual(new Set(known.keys()));
    const findings: string[] = [];
    for (const s of sockets) {
      const entry = known.get(s.port);
      if (!entry) continue;
      const problem = await acceptedBy(s.port, entry, {
        ca,
        user: ha.config.guard.canary.username,
        pass: ha.config.guard.canary.password,
        host: s.address,
      });
      if (problem) findings.push(`${entry.name} (${s.port}, ${entry.role}): ${problem}`);
    }
    console.log(`SCAN ${JSON.stringify({ sockets: sockets.length, roles: [...known.values()].map((k) => `${k.name}:${k.role}`) })}`);
    expect(findings).toEqual([]);
  }, 120_000);

  it('keeps the HAProxy runtime API on a 0600 Unix socket that answers only there', async () => {
    const socket = ha.config.paths.haproxySocket;
    expect(fs.statSync(socket).isSocket()).toBe(true);
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    const info = await new HaproxyRuntime(socket).command('show info');
    expect(info).toMatch(/^Name: HAProxy/m);
    // No TCP listener of the stack speaks the runtime API.
    const pids = Object.values(ha.stack.supervisor.pids).filter((p): p is number => typeof p === 'number');
    for (const s of listeningSockets(pids)) {
      const text = await converse(s.port, ['show info'], { waitMs: 500, host: s.address });
      expect(text, `port ${s.port}`).not.toMatch(/^Name: HAProxy/m);
    }
  }, 60_000);

  it('serves the stats page with its password, and the API with its token (no CORS)', async () => {
    const auth = `Basic ${Buffer.from(`kura:${secrets.haproxyStatsPassword}`).toString('base64')}`;
    expect((await httpProbe(ha.config.ha.haproxy.stats, '/metrics', { headers: { authorization: auth } }, INTERNAL)).status).toBe(200);
    const api = ha.config.ha.wildduck[0]?.api as number;
    const ok = await httpProbe(api, '/users/resolve/kura-canary', { headers: { 'x-access-token': secrets.apiToken as string } }, INTERNAL);
    expect(ok.status).toBe(200);
    const preflight = await httpProbe(
      api,
      '/users',
      { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } },
      INTERNAL,
    );
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const cross = await httpProbe(
      api,
      '/users',
      { headers: { origin: 'https://evil.example', 'x-access-token': secrets.apiToken as string } },
      INTERNAL,
    );
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives the guard a token that can look up and create accounts but not delete, list or reset them', async () => {
    const api = ha.config.ha.wildduck[0]?.api as number;
    const guard = guardApiHeaders(ha.config);
    const root = { 'x-access-token': secrets.apiToken as string };
    // The guard created its canary with this token (the guard is up); it resolves it too.
    const found = await httpProbe(api, '/users/resolve/kura-canary', { headers: guard }, INTERNAL);
    expect(found.status).toBe(200);
    const { id } = JSON.parse(found.body) as { id: string };
    for (const [method, path] of [
      ['DELETE', `/users/${id}`],
      ['GET', '/users'],
      ['POST', `/users/${id}/password/reset`],
      ['PUT', `/users/${id}`],
    ] as const) {
      const res = await httpProbe(
        api,
        path,
        { method, headers: { ...guard, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' },
        INTERNAL,
      );
      expect(res.status, `${method} ${path}: ${res.body}`).toBe(403);
      expect(JSON.parse(res.body).code, `${method} ${path}`).toBe('MissingPrivileges');
    }
    // The canary is still there; the master token may do what the guard's may not.
    expect((await httpProbe(api, `/users/${id}`, { headers: root }, INTERNAL)).status).toBe(200);
    expect((await httpProbe(api, '/users', { headers: root }, INTERNAL)).status).toBe(200);
  });

  it('keeps every secret in a 0600 file and out of every log, printout and generated endpoint list', () => {
    const file = `${ha.config.dataDir}/secrets.json`;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const values = Object.values(secrets).filter((v) => v.length >= 16);
    // One generated value per secret Kura knows (API token and signing secret, Redis, Sentinel, HAProxy
    // stats, canary and demo passwords, the SRS secret, the DKIM secret).
    expect(values.length).toBe(Object.keys(SECRET_ENV).length);
    const texts: Array<[string, string]> = fs
      .readdirSync(ha.config.paths.logs)
      .map((f): [string, string] => [`logs/${f}`, fs.readFileSync(`${ha.config.paths.logs}/${f}`, 'utf8')]);
    texts.push(['endpoints.json', fs.readFileSync(ha.config.paths.endpoints, 'utf8')]);
    for (const [name, text] of texts) for (const v of values) expect(text.includes(v), `${name} contains a secret`).toBe(false);
  });

  it('lets a user sign in to the self-service page through the token-protected API of either WildDuck', async () => {
    const base = `http://127.0.0.1:${ha.config.ports.selfService}/`;
    const form = await fetch(base);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const cookie = form.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { username, password } = ha.config.guard.canary;
    const login = await fetch(`${base}login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ username, password, csrf }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const session = login.headers.getSetCookie().find((c) => c.startsWith('kura_ss='));
    const page = await fetch(base, { headers: { cookie: session?.split(';')[0] ?? '' } });
    expect(await page.text()).toContain('id="vacation"');
  });

  /** openssl s_client with certificate verification against the local CA; returns its output. */
  function sClient(port: number, extra: string[], input: string): string {
    const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ha.config.security.tls.ca as string, '-verify_return_error'];
    const run = spawnSync('openssl', [...args, ...extra], { input, encoding: 'utf8', timeout: 15_000 });
    if (run.status !== 0)
      throw new Error(`openssl s_client ${extra.join(' ')} on ${port} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  }

  it('speaks STARTTLS and implicit TLS with imapflow, nodemailer and openssl s_client, certificates checked', async () => {
    // Its own account: the maildrop and INBOX below hold exactly the one message this test sends.
    const own = await createUser('tls');
    const login = { user: own.user, pass: own.pass };
    const { ports } = ha.config;
    const subject = `tls check ${Date.now()}`;
    // SMTP: STARTTLS required by the client, certificate checked.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp, secure: false, requireTLS: true, tls: { ca } });
    const info = await transport.sendMail({
      from: 'tls-check@example.org',
      to: own.address,
      subject,
      text: 'delivered over STARTTLS',
    });
    expect(info.response).toMatch(/^250/);
    // IMAP with STARTTLS (143) and with implicit TLS (993); the message is there.
    for (const [port, secure] of [
      [ports.imap, false],
      [ports.imaps, true],
    ] as const) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port,
        secure,
        doSTARTTLS: secure ? undefined : true,
        tls: { ca },
        auth: login,
        logger: false,
      });
      await client.connect();
      try {
        expect(client.secureConnection).toBe(true);
        await client.mailboxOpen('INBOX');
        const subjects: string[] = [];
        for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
        expect(
          subjects.filter((s) => s === subject),
          `message over port ${port}`,
        ).toHaveLength(1);
      } finally {
        await client.logout();
      }
    }
    // POP3 over implicit TLS.
    expect(await probePop3('127.0.0.1', ports.pop3s, login.user, login.pass, 5_000, { ca })).toMatch(/^\+OK/);
    // Without the CA the same server is not trusted: the check is real.
    await expect(
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: ports.imaps }, () => resolve(socket.end()));
        socket.on('error', reject);
      }),
    ).rejects.toThrow(/self-signed|unable to get local issuer|unable to verify/);
    // openssl s_client: STARTTLS for IMAP and SMTP, implicit TLS for IMAPS and POP3S; "Verify return code: 0 (ok)".
    for (const [port, extra] of [
      [ports.imap, ['-starttls', 'imap']],
      [ports.smtp, ['-starttls', 'smtp']],
      [ports.imaps, []],
      [ports.pop3s, []],
      [ports.pop3, ['-starttls', 'pop3']],
    ] as const) {
      const out = sClient(port, [...extra], 'Q\n');
      expect(out, `s_client on ${port}`).toMatch(/Verify return code: 0 \(ok\)/);
    }
    // POP3 on 110 after STLS: the same login that is refused in plaintext (see the scan) works and finds the maildrop.
    const pop3 = sClient(ports.pop3, ['-starttls', 'pop3', '-crlf', '-ign_eof'], `USER ${login.user}\nPASS ${login.pass}\nSTAT\nQUIT\n`);
    expect(pop3).toMatch(/^\+OK maildrop has 1 message/m);
    expect(pop3).toMatch(/^\+OK Bye/m);
  }, 60_000);

  it('reloads WildDuck and Haraka certificates when the files change, without a restart', async () => {
    const w = ha.config.ha.wildduck[0];
    // Straight to the instance, with the PROXY header HAProxy would send.
    const serialOf = async (port: number) => (await tlsGreeting(port, ca, true)).serial;
    const before = await serialOf(w?.imaps as number);
    const harakaPorts = ha.config.ha.haraka.map((h) => h.smtp);
    for (const port of harakaPorts) expect(await smtpStartTlsSerial(port, ca), `haraka ${port} before`).toBe(before);
    const pids = { ...ha.stack.supervisor.pids };
    const dir = path.dirname(ha.config.security.tls.cert as string);
    const csr = path.join(dir, 'renew.csr');
    const key = path.join(dir, 'renew.key');
    const cert = path.join(dir, 'renew.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        '/CN=renewed',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        path.join(dir, 'ca.pem'),
        '-CAkey',
        path.join(dir, 'ca.key'),
        '-CAcreateserial',
        '-out',
        cert,
        '-days',
        '2',
        '-extfile',
        path.join(dir, 'server.ext'),
      ],
      { stdio: 'ignore' },
    );
    // What a certbot deploy hook does: replace key and certificate in place.
    fs.renameSync(key, ha.config.security.tls.key as string);
    fs.renameSync(cert, ha.config.security.tls.cert as string);
    const deadline = Date.now() + 15_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      after = await serialOf(w?.imaps as number);
    }
    expect(after).not.toBe(before);
    // The instance's POP3S listener took the new certificate too.
    const pop3 = await serialOf(w?.pop3 as number);
    expect(pop3).toBe(after);
    // Haraka (STARTTLS on 25) as well, each instance on its own.
    for (const port of harakaPorts) {
      let serial = before;
      while (serial === before && Date.now() < deadline) {
        serial = await smtpStartTlsSerial(port, ca);
        if (serial === before) await new Promise((r) => setTimeout(r, 500));
      }
      expect(serial, `haraka ${port} after`).toBe(after);
    }
    // Nothing was restarted.
    expect(ha.stack.supervisor.pids).toEqual(pids);
  }, 60_000);

  it('applies per-recipient, per-sender and per-IP concurrency limits with Redis behind Sentinel (4xx, never 5xx)', async () => {
    expect(ha.config.redisUrl).toMatch(/^redis\+sentinel:\/\//);
    const tag = Date.now().toString(36);
    const user = `limit-${tag}`;
    const created = await httpProbe(
      ha.config.ha.wildduck[0]?.api as number,
      '/users',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-access-token': secrets.apiToken as string },
        body: JSON.stringify({ username: user, password: `pw-${tag}-${tag}`, address: `${user}@${ha.config.demo.domain}` }),
      },
      INTERNAL,
    );
    expect(created.status).toBe(200);
    const rcptReply = async (from: string, to: string) => {
      const text = await converse(ha.config.ports.smtp, ['EHLO limits.invalid', `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'QUIT'], {
        greeting: true,
      });
      return (text.split('\r\n').filter((l) => /^\d{3} /.test(l))[3] ?? text).slice(0, 3);
    };
    // Per recipient (60 a minute; the canary, every 2 s to its own address, stays under it): different senders.
    const perRecipient: string[] = [];
    for (let i = 0; i < 63; i++) perRecipient.push(await rcptReply(`s${i}-${tag}@example.org`, `${user}@${ha.config.demo.domain}`));
    expect(new Set(perRecipient.slice(0, 60)), perRecipient.join(',')).toEqual(new Set(['250']));
    expect(
      perRecipient.slice(60).every((code) => /^4\d\d$/.test(code)),
      perRecipient.join(','),
    ).toBe(true);
    // Per sender (60 recipients a minute): one sender, different (unknown: 550 while under the limit) recipients.
    const perSender: string[] = [];
    for (let i = 0; i < 63; i++) perSender.push(await rcptReply(`bulk-${tag}@example.org`, `nobody-${i}-${tag}@${ha.config.demo.domain}`));
    expect(new Set(perSender.slice(0, 60)), perSender.join(',')).toEqual(new Set(['550']));
    expect(
      perSender.slice(60).every((code) => /^4\d\d$/.test(code)),
      perSender.join(','),
    ).toBe(true);
    // Per-IP concurrency (10), one budget for both Haraka instances: 14 sessions held open at once.
    const held = await Promise.all(
      Array.from({ length: 14 }, () => converse(ha.config.ports.smtp, [], { greeting: true, waitMs: 3_000 }).then((t) => t.slice(0, 3))),
    );
    expect(held.filter((code) => code === '421').length, held.join(',')).toBeGreaterThanOrEqual(1);
    expect(
      held.every((code) => code === '220' || code === '421'),
      held.join(','),
    ).toBe(true);
  }, 60_000);

  it("lets WildDuck see the client address through HAProxy (PROXY protocol), not HAProxy's", async () => {
    const tag = Date.now().toString(36);
    const user = `proxied-${tag}`;
    const pass = `pw-${tag}-${tag}`;
    const api = ha.config.ha.wildduck[0]?.api as number;
    const auth = { 'content-type': 'application/json', 'x-access-token': secrets.apiToken as string };
    const created = await httpProbe(
      api,
      '/users',
      {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ username: user, password: pass, address: `${user}@${ha.config.demo.domain}` }),
      },
      INTERNAL,
    );
    expect(created.status).toBe(200);
    const { id } = JSON.parse(created.body) as { id: string };
    // The client connects from 127.0.0.2; HAProxy's own connection to WildDuck comes from 127.0.0.1.
    const text = await converse(ha.config.ports.imaps, [`a1 LOGIN ${user} "${pass}"`, 'a2 LOGOUT'], {
      ca,
      greeting: true,
      localAddress: '127.0.0.2',
    });
    expect(text).toMatch(/^a1 OK/m);
    const log = await httpProbe(api, `/users/${id}/authlog`, { headers: auth }, INTERNAL);
    const ips = (JSON.parse(log.body) as { results: Array<{ ip?: string }> }).results.map((r) => r.ip);
    expect(ips).toContain('127.0.0.2');
  }, 30_000);

  it('submits through HAProxy on both submission ports: certificate checked, AUTH through the token-guarded API, client address kept', async () => {
    const tag = Date.now().toString(36);
    const user = `submitter-${tag}`;
    const pass = `pw-${tag}-${tag}`;
    const address = `${user}@${ha.config.demo.domain}`;
    const api = ha.config.ha.wildduck[0]?.api as number;
    const auth = { 'content-type': 'application/json', 'x-access-token': secrets.apiToken as string };
    const created = await httpProbe(
      api,
      '/users',
      {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ username: user, password: pass, address }),
      },
      INTERNAL,
    );
    expect(created.status).toBe(200);
    const { id } = JSON.parse(created.body) as { id: string };
    const { ports } = ha.config;
    for (const [port, secure] of [
      [ports.submission, false],
      [ports.submissions, true],
    ] as const) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure,
        requireTLS: !secure,
        tls: { ca },
        auth: { user, pass },
        localAddress: '127.0.0.3',
      });
      const info = await transport.sendMail({ from: address, to: address, subject: `submitted on ${port}`, text: 'through HAProxy' });
      expect(info.response).toMatch(/^250 2\.6\.0 Message accepted \(1 stored, 0 queued\)/);
    }
    // WildDuck logged both logins with the client's address, which only the PROXY header carried.
    const log = await httpProbe(api, `/users/${id}/authlog`, { headers: auth }, INTERNAL);
    const smtp = (JSON.parse(log.body) as { results: Array<{ ip?: string; protocol?: string }> }).results.filter(
      (r) => r.protocol === 'SMTP',
    );
    // (WildDuck folds repeated logins from one address into one entry.)
    expect(smtp.length).toBeGreaterThan(0);
    expect(new Set(smtp.map((r) => r.ip))).toEqual(new Set(['127.0.0.3']));
  }, 30_000);
});
