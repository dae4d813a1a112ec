import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHaproxyConfig } from '../src/ha.js';
import { renderHarakaConfig } from '../src/haraka.js';
import { loadConfig } from '../src/load.js';
import { parseSentinelUrl, sentinelUrl } from '../src/redis-url.js';
import { loadSecrets, placeholderReason, redactSecrets, SECRET_ENV } from '../src/secrets.js';
import { assertSafeToExpose, securedConfig } from '../src/security.js';
import { localSentinelProfile, renderSentinelConfig } from '../src/sentinel.js';
import { renderWildDuckConfig } from '../src/wildduck.js';

const dirs: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-secrets-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const secured = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) => {
  const dir = tmp();
  const tls = { cert: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem') };
  return securedConfig(loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, security: { enabled: true, tls }, ...overrides } }), env);
};

describe('secrets', () => {
  it('are generated once into a 0600 file, and the environment wins without being written', () => {
    const file = path.join(tmp(), 'secrets.json');
    const first = loadSecrets(file, {});
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.apiToken).toMatch(/^[0-9a-f]{64}$/);
    // Every secret generated, each one different.
    expect(new Set(Object.values(first)).size).toBe(Object.keys(SECRET_ENV).length);
    expect(loadSecrets(file, {})).toEqual(first);
    const fromEnv = loadSecrets(file, { KURA_API_TOKEN: 'from-the-environment-0123' });
    expect(fromEnv.apiToken).toBe('from-the-environment-0123');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('from-the-environment');
    fs.chmodSync(file, 0o640);
    expect(() => loadSecrets(file, {})).toThrow(/readable by group or others \(mode 0640\); run chmod 600/);
  });

  it('are redacted from URLs and text', () => {
    const url = sentinelUrl(['s1:1', 's2:2'], 'kura', 3, { username: 'kura', password: 'p@ss/word', sentinelPassword: 'sent-pw' });
    expect(redactSecrets(url)).toBe('redis+sentinel://kura:***@s1:1,s2:2/kura/3?sentinelPassword=***');
    expect(redactSecrets('token abcdefgh12345678 here', { apiToken: 'abcdefgh12345678' })).toBe('token *** here');
  });

  it('placeholders and defaults are recognised', () => {
    for (const value of ['change-me', 'change-this-password', 'changeme', 'kura-canary-password', 'demo-password', 'short'])
      expect(placeholderReason(value), value).toBeDefined();
    expect(placeholderReason('f3b1c2d4e5a6b7c8d9e0')).toBeUndefined();
  });
});

describe('MongoDB credentials (production; FerretDB has no users)', () => {
  it('come from MONGODB_URI, reach WildDuck as written and are redacted in every printout', () => {
    const dir = tmp();
    const uri = 'mongodb://kura:p%40ss%2Fw0rd-0123456789@mongo1:27017,mongo2:27017/kura?replicaSet=rs0&authSource=admin';
    const config = loadConfig({ cwd: dir, env: { MONGODB_URI: uri }, overrides: { dataDir: dir } });
    expect(config.mongodbUri).toBe(uri);
    const wildduck = parse(renderWildDuckConfig(config)) as { dbs: { mongo: string } };
    expect(wildduck.dbs.mongo.startsWith(uri)).toBe(true);
    const redacted = redactSecrets(`cannot reach ${config.mongodbUri}`);
    expect(redacted).toBe('cannot reach mongodb://kura:***@mongo1:27017,mongo2:27017/kura?replicaSet=rs0&authSource=admin');
    expect(redactSecrets('mongodb+srv://kura:s3cret-value@cluster.example.org/kura')).toBe(
      'mongodb+srv://kura:***@cluster.example.org/kura',
    );
  });
});

describe('Sentinel URLs with credentials', () => {
  it('carry the Redis ACL user and the Sentinel password to ioredis', () => {
    const url = sentinelUrl(['s1:26379', 's2:26379'], 'kura', 3, { username: 'kura', password: 'p@ss/word', sentinelPassword: 's:pw' });
    expect(parseSentinelUrl(url)).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'kura',
      db: 3,
      username: 'kura',
      password: 'p@ss/word',
      sentinelPassword: 's:pw',
    });
  });
});

describe('the secured profile', () => {
  it('renders WildDuck with TLS, STARTTLS required, the API token, signed user tokens and no CORS', () => {
    const config = secured();
    const toml = parse(renderWildDuckConfig(config, { imap: 1143, imaps: 1993, pop3: 1995, pop3Stls: 1110, api: 1080 })) as Record<
      string,
      Record<string, unknown>
    >;
    expect(toml.tls).toEqual({ key: config.security.tls.key, cert: config.security.tls.cert });
    expect(toml.imap).toMatchObject({ port: 1143, secure: false, disableSTARTTLS: false, interface: [{ port: 1993, secure: true }] });
    expect(toml.pop3).toMatchObject({ port: 1995, secure: true });
    expect(toml.api).toMatchObject({
      accessToken: config.secrets.apiToken,
      accessControl: { enabled: true, secret: config.secrets.apiSigningSecret },
      cors: { origins: [] },
      roles: { 'kura-guard': { users: { 'create:any': ['*'], 'read:any': ['*'] } } },
    });
    // POP3: implicit TLS on `pop3`, plus an STLS listener (patch 012) that refuses USER/PASS/AUTH before STLS.
    expect(toml.pop3).toMatchObject({
      secure: true,
      interface: [{ enabled: true, port: 1110, secure: false, disableSTARTTLS: false, ignoreSTARTTLS: false }],
    });
    expect(toml.dbs?.redis).toMatchObject({ username: 'kura', password: config.secrets.redisPassword });
  });

  it('renders Sentinel with a password, HAProxy with a runtime socket and a stats login, Haraka with tls', () => {
    const config = secured({ redis: { sentinels: ['127.0.0.1:26380', '127.0.0.1:26381', '127.0.0.1:26382'] } });
    const sentinel = renderSentinelConfig(config, localSentinelProfile(config, 26380, '/tmp'));
    expect(sentinel).toContain(`requirepass ${config.secrets.sentinelPassword}`);
    expect(sentinel).toContain(`sentinel auth-pass kura ${config.secrets.redisPassword}`);
    const haproxy = renderHaproxyConfig(config, { luaFile: '/x.lua' });
    expect(haproxy).toContain(`stats socket ${config.paths.haproxySocket} mode 600 level admin`);
    expect(haproxy).not.toMatch(/ipv4@/);
    expect(haproxy).toContain(`user kura insecure-password ${config.secrets.haproxyStatsPassword}`);
    expect(haproxy).toMatch(/frontend imaps[\s\S]*frontend pop3s/);
    // POP3 on ports.pop3 only as STLS (every instance has a pop3Stls listener by default), then without it.
    expect(haproxy).toMatch(/frontend pop3\n[\s\S]*default_backend pop3-stls/);
    const noStls = { ...config, ha: { ...config.ha, wildduck: config.ha.wildduck.map(({ pop3Stls: _, ...w }) => w) } };
    expect(renderHaproxyConfig(noStls, { luaFile: '/x.lua' })).not.toMatch(/frontend pop3\n/);
    // Per-frontend and per-source limits on every public port.
    for (const name of ['smtp', 'imap', 'imaps', 'pop3s', 'pop3']) {
      const block = haproxy.split(`frontend ${name}\n`)[1]?.split('\n\n')[0] ?? '';
      expect(block, name).toMatch(/maxconn \d+/);
      expect(block, name).toMatch(/tcp-request connection reject if \{ sc_conn_cur\(0\) gt \d+ \} \|\| \{ sc_conn_rate\(0\) gt \d+ \}/);
    }
    const haraka = renderHarakaConfig(config, { pluginModule: '/kura.js', sentinelLimitModule: '/limit.js' });
    expect(haraka['config/plugins']).toBe('tls\nlimit\nkura\n');
    expect(haraka['config/tls.ini']).toContain(`key=${config.security.tls.key}`);
    expect(haraka['plugins/limit/index.js']).toContain('/limit.js');
  });

  it('replaces default demo and canary passwords and refuses placeholders on a public address', () => {
    const config = secured();
    expect(config.guard.canary.password).toBe(config.secrets.canaryPassword);
    expect(() => assertSafeToExpose(config)).not.toThrow();
    const exposed = secured({ host: '10.1.2.3', guard: { canary: { password: 'change-me-please' } } });
    expect(() => assertSafeToExpose(exposed)).toThrow(/10\.1\.2\.3: guard\.canary\.password looks like a placeholder/);
    const weakEnv = secured({ host: '10.1.2.3' }, { KURA_REDIS_PASSWORD: 'password' });
    expect(() => assertSafeToExpose(weakEnv)).toThrow(/secret redisPassword looks like a placeholder/);
  });
});
