import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaTestStack, haTestConfig, startHaTestStack } from '../support/ha-stack.js';
import { converse, httpProbe } from '../support/listeners.js';
import { tempDataDir } from '../support/stack.js';

const FILTER = path.resolve('deploy/fail2ban/filter.d/kura.conf');
const FAILURES = 4;

/**
 * The per-IP failed-login limit of the secured HA profile: failures on IMAP,
 * POP3 and the API's /authenticate, on either WildDuck instance, count
 * against one budget per client address in Redis (behind Sentinel); past it
 * that address is refused even with the right password, others are not. The
 * log lines name the real client (PROXY protocol) and deploy/fail2ban's
 * filter reads them.
 */
describe('secured HA profile: per-IP failed-login limit', { retry: 0 }, () => {
  let ha: HaTestStack;
  let ca: Buffer;
  let token: string;
  const tag = Date.now().toString(36);
  const user = `limited-${tag}`;
  const pass = `pw-${tag}-${tag}`;

  beforeAll(async () => {
    ha = await startHaTestStack(
      await haTestConfig(
        tempDataDir('ha-authlimit'),
        {},
        {},
        { loginFailures: { failures: FAILURES, windowSeconds: 300, blockSeconds: 300 } },
      ),
    );
    ca = fs.readFileSync(ha.config.security.tls.ca as string);
    token = (ha.config as unknown as { secrets: Record<string, string> }).secrets.apiToken as string;
    const created = await httpProbe(ha.config.ha.wildduck[0]?.api as number, '/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-access-token': token },
      body: JSON.stringify({ username: user, password: pass, address: `${user}@${ha.config.demo.domain}` }),
    });
    expect(created.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await ha?.stop();
  });

  // A password check can take seconds on a busy machine; the server closes after LOGOUT/QUIT, which ends the wait.
  const waitMs = 10_000;
  const imapsLogin = (password: string, localAddress: string) =>
    converse(ha.config.ports.imaps, [`a1 LOGIN ${user} "${password}"`, 'a2 LOGOUT'], { ca, greeting: true, localAddress, waitMs });
  const pop3sLogin = (password: string, localAddress: string) =>
    converse(ha.config.ports.pop3s, [`USER ${user}`, `PASS ${password}`, 'QUIT'], { ca, greeting: true, localAddress, waitMs });
  const apiLogin = (password: string, ip: string, instance = 0) =>
    httpProbe(ha.config.ha.wildduck[instance]?.api as number, '/authenticate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-access-token': token },
      body: JSON.stringify({ username: user, password, scope: 'master', protocol: 'webmail', ip }),
    });
  const logs = () =>
    ha.config.ha.wildduck.map((_, i) => fs.readFileSync(path.join(ha.config.paths.logs, `wildduck-${i + 1}.log`), 'utf8')).join('\n');

  it('refuses IMAP and POP3 logins from an address after N failures across protocols and instances; other addresses log in', async () => {
    const attacker = '127.0.0.3';
    // Failures spread over IMAP and POP3; HAProxy (leastconn) spreads them over both instances.
    for (let i = 0; i < FAILURES; i++) {
      const text = i % 2 === 0 ? await imapsLogin(`wrong-${i}`, attacker) : await pop3sLogin(`wrong-${i}`, attacker);
      expect(text, `failure ${i + 1} is an ordinary authentication failure`).toMatch(/^a1 NO|^-ERR/m);
      expect(text).not.toMatch(/rate limited/i);
    }
    // Now the right password is refused, on both protocols, with each protocol's negative reply.
    const imap = await imapsLogin(pass, attacker);
    expect(imap).toMatch(/^a1 NO \[RateLimitedError\] Authentication was rate limited/m);
    const pop3 = await pop3sLogin(pass, attacker);
    expect(pop3).toMatch(/^-ERR \[AUTH\] Authentication was rate limited/m);
    expect(pop3).not.toMatch(/^\+OK maildrop/m);
    // Straight to each instance (as HAProxy would, PROXY header naming 127.0.0.3): the budget is shared.
    for (const w of ha.config.ha.wildduck) {
      const direct = await converse(w.imaps as number, [`a1 LOGIN ${user} "${pass}"`, 'a2 LOGOUT'], {
        ca,
        greeting: true,
        proxy: true,
        localAddress: attacker,
        waitMs,
      });
      expect(direct, `instance ${w.imaps}`).toMatch(/^a1 NO .*rate limited/im);
    }
    // Another client address is not affected.
    expect(await imapsLogin(pass, '127.0.0.4')).toMatch(/^a1 OK/m);
    expect(await pop3sLogin(pass, '127.0.0.4')).toMatch(/^\+OK maildrop/m);
  }, 60_000);

  it("limits the API's /authenticate by the client address the caller passes (403 RateLimitedError)", async () => {
    const client = '192.0.2.55';
    for (let i = 0; i < FAILURES; i++) {
      const res = await apiLogin(`wrong-${i}`, client, i % 2);
      expect(res.status, res.body).toBe(403);
      expect(JSON.parse(res.body).code).not.toBe('RateLimitedError');
    }
    const refused = await apiLogin(pass, client, 1);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).code).toBe('RateLimitedError');
    expect((await apiLogin(pass, '192.0.2.56', 0)).status).toBe(200);
  });

  it('logs every failure and refusal with the real client address, and the fail2ban filter reads those lines', () => {
    const lines = logs()
      .split('\n')
      .filter((l) => l.includes('"event":"kura-login-'));
    const events = lines.map((l) => JSON.parse(l) as { event: string; ip: string; service: string });
    const from = (ip: string, event: string) => events.filter((e) => e.ip === ip && e.event === event);
    expect(from('127.0.0.3', 'kura-login-failed').length).toBe(FAILURES);
    expect(from('127.0.0.3', 'kura-login-refused').length).toBeGreaterThanOrEqual(4);
    expect(new Set(from('127.0.0.3', 'kura-login-failed').map((e) => e.service))).toEqual(new Set(['imap', 'pop3']));
    expect(from('192.0.2.55', 'kura-login-failed').length).toBe(FAILURES);
    // 127.0.0.1 (HAProxy's address, and the local guard's) is exempt on loopback: the guard's early canary
    // logins, before the account exists, must not block the guard. Nothing was counted for it.
    expect(events.some((e) => e.ip === '127.0.0.1')).toBe(false);

    const file = path.join(ha.config.dataDir, 'wildduck-all.log');
    fs.writeFileSync(file, logs());
    const run = spawnSync('fail2ban-regex', ['--out', 'ip', file, FILTER], { encoding: 'utf8' });
    expect(run.error, "fail2ban-regex is missing: `bash scripts/kura.sh setup` installs Debian's fail2ban").toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const ips = run.stdout.split('\n').filter(Boolean);
    expect(ips.filter((ip) => ip === '127.0.0.3').length).toBe(lines.filter((l) => l.includes('"ip":"127.0.0.3"')).length);
    expect(ips).toContain('192.0.2.55');
    expect(new Set(ips)).toEqual(new Set(events.map((e) => e.ip)));
  });
});
