import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, renderHaproxyConfig, securedConfig } from '@kura/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePorts } from '../support/stack.js';

/** The production reference topology in deploy/ must be valid, not just plausible. */
const ROOT = path.resolve(import.meta.dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `kura-deploy-${label}-`));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  depends_on?: string[] | Record<string, unknown>;
  volumes?: string[];
}

const compose = parse(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const command = (s?: ComposeService) => (Array.isArray(s?.command) ? s.command.join(' ') : (s?.command ?? ''));

describe('deploy/compose.yaml', () => {
  it('describes the whole reference topology', () => {
    const mongos = Object.entries(services).filter(([, s]) => s.image?.startsWith('mongo:') && command(s).startsWith('mongod'));
    expect(mongos).toHaveLength(3);
    for (const [, s] of mongos) expect(command(s)).toContain('--replSet rs0');
    expect(command(services['mongo-init'])).toContain('init-replica-set.js');
    expect(Object.keys(services).filter((n) => command(services[n]).includes('redis-sentinel'))).toHaveLength(3);
    expect(services['redis-primary']).toBeDefined();
    expect(services['redis-replica']).toBeDefined();
    expect(Object.values(services).filter((s) => /^run wildduck-\d/.test(command(s))).length).toBeGreaterThanOrEqual(2);
    expect(Object.values(services).filter((s) => /^run haraka-\d/.test(command(s))).length).toBeGreaterThanOrEqual(2);
    expect(services.haproxy?.image).toMatch(/^haproxy:/);
    expect(command(services.guard)).toMatch(/^guard /);
    expect(command(services.snapshot)).toContain('snapshot create');
  });

  it('refers only to services, volumes and files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) {
          if (source === './certs' || source.startsWith('./secrets/')) continue; // the operator's certificates and secrets
          expect(fs.existsSync(path.join(DEPLOY, source)), `${name} mounts ${source}`).toBe(true);
        } else expect(compose.volumes?.[source], `${name} uses volume ${source}`).toBeDefined();
      }
    }
  });
});

describe('deploy/kura.config.json', () => {
  const config = loadConfig({ file: path.join(DEPLOY, 'kura.config.json'), env: {} });

  it('is a valid Kura config for a replica set with majority writes and Redis through Sentinel', () => {
    const [hosts = '', query = ''] = config.mongodbUri.replace(/^mongodb:\/\//, '').split('?');
    expect(hosts.split('/')[0]?.split(',')).toHaveLength(3);
    const params = new URLSearchParams(query);
    expect(params.get('replicaSet')).toBe('rs0');
    expect(params.get('w')).toBe('majority');
    expect(params.get('retryWrites')).toBe('true');
    expect(params.get('readPreference')).toBe('primary');
    expect(config.redisUrl).toMatch(/^redis\+sentinel:\/\/([^,/]+,){2}[^,/]+\/kura\/\d+$/);
    expect(config.local).toEqual({ mongodb: false, redis: false });
  });

  it('runs the secured profile, with certificates from paths and no secret in the file', () => {
    expect(config.security.enabled).toBe(true);
    expect(config.security.tls.cert).toMatch(/^\/etc\/kura\/tls\//);
    expect(config.security.tls.key).toMatch(/^\/etc\/kura\/tls\//);
    const text = fs.readFileSync(path.join(DEPLOY, 'kura.config.json'), 'utf8');
    expect(text).not.toMatch(/password|token|secret"\s*:/i);
    expect(config.ha.haproxy.runtimeSocket).toBe('/run/haproxy/admin.sock');
  });

  it('matches the servers HAProxy balances over', () => {
    const cfg = fs.readFileSync(path.join(DEPLOY, 'haproxy', 'haproxy.cfg'), 'utf8');
    config.ha.wildduck.forEach((w, i) => {
      expect(cfg).toContain(`server wildduck-${i + 1} ${w.host}:${w.imap} check port ${w.health}`);
      expect(cfg).toContain(`server wildduck-${i + 1} ${w.host}:${w.pop3} check port ${w.health}`);
      expect(cfg).toContain(`server wildduck-${i + 1} ${w.host}:${w.pop3Stls} check port ${w.health}`);
    });
    config.ha.haraka.forEach((h, i) => {
      expect(cfg).toContain(`server haraka-${i + 1} ${h.host}:${h.smtp} check port ${h.health} send-proxy-v2`);
    });
    config.ha.wildduck.forEach((w, i) => {
      expect(cfg).toContain(`server wildduck-${i + 1} ${w.host}:${w.imaps} check port ${w.health}`);
    });
    // The runtime API is a Unix socket (the one the guard is configured with), never TCP; stats ask for a password.
    expect(cfg).toContain(`stats socket ${config.paths.haproxySocket} mode 660 level admin`);
    expect(cfg).not.toMatch(/stats socket ipv4@/);
    expect(cfg).toMatch(/http-request auth realm kura unless \{ http_auth\(kura_stats\) \}/);
    // Haraka expects the PROXY protocol from HAProxy's address only (the guard probes Haraka without it).
    const haproxyNet = (services.haproxy as { networks?: { kura?: { ipv4_address?: string } } }).networks?.kura;
    expect(config.ha.haproxy.proxyProtocolFrom).toBe(`${haproxyNet?.ipv4_address}/32`);
  });
});

describe('HAProxy configurations pass haproxy -c', () => {
  it('deploy/haproxy/haproxy.cfg (with a throw-away certificate)', () => {
    const dir = tmp('haproxy');
    try {
      fs.mkdirSync(path.join(dir, 'certs'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=kura.test',
          '-days',
          '1',
          '-keyout',
          `${dir}/k.pem`,
          '-out',
          `${dir}/c.pem`,
        ],
        { stdio: 'ignore' },
      );
      fs.writeFileSync(
        path.join(dir, 'certs', 'kura.pem'),
        fs.readFileSync(`${dir}/c.pem`, 'utf8') + fs.readFileSync(`${dir}/k.pem`, 'utf8'),
      );
      fs.copyFileSync(path.join(DEPLOY, 'haproxy', 'unavailable.lua'), path.join(dir, 'kura-unavailable.lua'));
      const cfg = fs
        .readFileSync(path.join(DEPLOY, 'haproxy', 'haproxy.cfg'), 'utf8')
        .replaceAll('/etc/haproxy/', `${dir}/`)
        .replaceAll('/run/haproxy/', `${dir}/`);
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
      const env = { ...process.env, KURA_HAPROXY_STATS_PASSWORD: 'lint-password' };
      const check = spawnSync('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8', env });
      expect(check.status, check.stderr + check.stdout).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the configuration `kura up --ha` generates', async () => {
    const dir = tmp('haproxy-local');
    try {
      // The secured profile, as `kura up --ha` runs it (secrets generated into the temp dir).
      const config = securedConfig(loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, security: { enabled: true } } }), {});
      const lua = path.join(dir, 'unavailable.lua');
      fs.copyFileSync(path.join(DEPLOY, 'haproxy', 'unavailable.lua'), lua);
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), renderHaproxyConfig(config, { luaFile: lua }));
      const check = spawnSync('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
      expect(check.status, check.stderr + check.stdout).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rspamd configurations pass rspamadm configtest', () => {
  it("deploy/rspamd (Debian's rules with Kura's local.d and override.d)", () => {
    const check = spawnSync(
      'rspamadm',
      [`--var=LOCAL_CONFDIR=${path.join(DEPLOY, 'rspamd')}`, 'configtest', '-c', '/etc/rspamd/rspamd.conf'],
      {
        encoding: 'utf8',
      },
    );
    expect(check.stdout + check.stderr).toContain('syntax OK');
    expect(check.status).toBe(0);
  }, 60_000);
});

/** Starts `server` with `conf` on loopback: it answers PING with `credentials` and refuses it without. */
async function expectAuthRequired(server: string, conf: string, port: number, credentials: string[]): Promise<void> {
  const child = spawn(server, [conf, '--port', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' });
  try {
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout;
    let answer = '';
    for (let i = 0; i < 50 && !answer.includes('PONG'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = cli(...credentials, '--no-auth-warning', 'PING');
    }
    expect(answer).toContain('PONG');
    // Without credentials: refused.
    expect(cli('PING')).toMatch(/NOAUTH/);
  } finally {
    child.kill('SIGKILL');
  }
}

describe('Redis configurations start', () => {
  for (const file of ['redis-primary.conf', 'redis-replica.conf']) {
    it(file, async () => {
      const dir = tmp('redis');
      const [port] = (await freePorts(1)) as [number];
      // Same file, with the data directory moved to a temp dir (redis applies `dir` as it reads it).
      const conf = path.join(dir, file);
      // The operator's credentials file, as docs/security.md describes it.
      const auth = path.join(dir, 'kura-auth.conf');
      fs.writeFileSync(auth, 'user default off\nuser kura on >lint-password-0123456789 ~* &* +@all\n', { mode: 0o600 });
      const text = fs.readFileSync(path.join(DEPLOY, 'redis', file), 'utf8');
      fs.writeFileSync(conf, text.replace(/^dir .*$/m, `dir ${dir}`).replace(/^include .*$/m, `include ${auth}`));
      await expectAuthRequired('redis-server', conf, port, ['--user', 'kura', '--pass', 'lint-password-0123456789']).finally(() =>
        fs.rmSync(dir, { recursive: true, force: true }),
      );
    });
  }

  it('sentinel.conf, with the credentials appended as compose does, wants the password', async () => {
    const dir = tmp('sentinel');
    const [port, primary] = (await freePorts(2)) as [number, number];
    // The compose command: committed file + the operator's credentials file, into the Sentinel's own volume.
    const committed = fs.readFileSync(path.join(DEPLOY, 'redis', 'sentinel.conf'), 'utf8');
    const auth = 'requirepass lint-sentinel-0123456789\nsentinel auth-user kura kura\nsentinel auth-pass kura lint-password-0123456789\n';
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, committed.replace(/^dir .*$/m, `dir ${dir}`).replace(/ redis-primary \d+ /, ` 127.0.0.1 ${primary} `) + auth);
    await expectAuthRequired('redis-sentinel', conf, port, ['-a', 'lint-sentinel-0123456789']).finally(() =>
      fs.rmSync(dir, { recursive: true, force: true }),
    );
  });
});

describe('fail2ban', () => {
  it('loads the jail with the filter (fail2ban-client -d on a copy of /etc/fail2ban)', () => {
    expect(fs.existsSync('/etc/fail2ban/jail.conf'), 'fail2ban is missing: `bash scripts/kura.sh setup` installs it').toBe(true);
    const dir = tmp('fail2ban');
    try {
      fs.cpSync('/etc/fail2ban', dir, { recursive: true });
      // Only Kura's jail: the distribution's defaults would enable sshd.
      for (const f of fs.readdirSync(path.join(dir, 'jail.d'))) fs.rmSync(path.join(dir, 'jail.d', f));
      fs.copyFileSync(path.join(DEPLOY, 'fail2ban', 'filter.d', 'kura.conf'), path.join(dir, 'filter.d', 'kura.conf'));
      fs.copyFileSync(path.join(DEPLOY, 'fail2ban', 'jail.d', 'kura.conf'), path.join(dir, 'jail.d', 'kura.conf'));
      const run = spawnSync('fail2ban-client', ['-c', dir, '-d'], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain("['add', 'kura', 'systemd']");
      expect(run.stdout).toContain("['set', 'kura', 'addjournalmatch', 'SYSLOG_IDENTIFIER=kura-wildduck']");
      expect(run.stdout).toMatch(/\['set', 'kura', 'addfailregex', '.*kura-login-/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the journal lines of the same identifier the WildDuck units log under', () => {
    const unit = fs.readFileSync(path.join(DEPLOY, 'systemd', 'kura-wildduck@.service'), 'utf8');
    expect(unit).toMatch(/^SyslogIdentifier=kura-wildduck$/m);
  });
});

describe('systemd units', () => {
  const available = spawnSync('systemd-analyze', ['--version']).status === 0;
  it.skipIf(!available)('pass systemd-analyze verify', () => {
    const dir = tmp('systemd');
    try {
      const units: string[] = [];
      for (const file of fs.readdirSync(path.join(DEPLOY, 'systemd'))) {
        if (!/\.(service|timer)$/.test(file)) continue;
        // Paths point at the checkout under test instead of /opt/kura; templates are verified as instance 1.
        const text = fs.readFileSync(path.join(DEPLOY, 'systemd', file), 'utf8').replaceAll('/opt/kura', ROOT);
        const name = file.replace('@.service', '@1.service');
        fs.writeFileSync(path.join(dir, name), text);
        units.push(`./${name}`);
      }
      expect(units.length).toBeGreaterThanOrEqual(4);
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { cwd: dir, encoding: 'utf8' });
      expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
