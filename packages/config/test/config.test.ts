import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, renderHarakaConfig, renderWildDuckConfig } from '../src/index.js';

function dirWith(config?: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-config-'));
  if (config !== undefined)
    fs.writeFileSync(path.join(dir, 'kura.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  it('has documented defaults on loopback high ports and a local data tier', () => {
    const config = loadConfig({ cwd: dirWith(), env: {} });
    expect(config.host).toBe('127.0.0.1');
    expect(config.ports).toMatchObject({ smtp: 2525, imap: 9143, pop3: 9110, api: 9080, mongodb: 27018, redis: 6380, smtpMetrics: 9025 });
    expect(config.local).toEqual({ mongodb: true, redis: true });
    expect(config.mongodbUri).toBe('mongodb://127.0.0.1:27018/kura');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6380/3');
  });

  it('resolves the data dir relative to the config file', () => {
    const dir = dirWith({ dataDir: 'store' });
    expect(loadConfig({ cwd: dir, env: {} }).dataDir).toBe(path.join(dir, 'store'));
  });

  it('uses external tiers from MONGODB_URI and REDIS_URL and starts nothing local for them', () => {
    const config = loadConfig({
      cwd: dirWith(),
      env: { MONGODB_URI: 'mongodb://a,b,c/kura?replicaSet=rs0', REDIS_URL: 'redis://r:6379/2' },
    });
    expect(config.mongodbUri).toBe('mongodb://a,b,c/kura?replicaSet=rs0');
    expect(config.redisUrl).toBe('redis://r:6379/2');
    expect(config.local).toEqual({ mongodb: false, redis: false });
  });

  it('names the offending field of an invalid file', () => {
    const dir = dirWith({ ports: { smtp: 'twenty-five' } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/ports\.smtp/);
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    expect(() => loadConfig({ cwd: dirWith({ prots: {} }), env: {} })).toThrow(/prots/);
  });

  it('reports broken JSON and a missing explicit file with the path', () => {
    const dir = dirWith('{ not json');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ cwd: dir, env: {}, file: 'missing.json' })).toThrow(/missing\.json does not exist/);
  });
});

describe('renderers', () => {
  const config = loadConfig({ cwd: dirWith(), env: {} });

  it('renders a WildDuck overlay that points at the store and binds loopback', () => {
    const toml = parse(renderWildDuckConfig(config)) as Record<string, Record<string, unknown>>;
    expect(String(toml.dbs?.mongo)).toContain(config.mongodbUri);
    expect(toml.dbs?.redis).toBe(config.redisUrl);
    expect(toml.imap).toMatchObject({ host: '127.0.0.1', port: 9143, secure: false });
    expect(toml.pop3).toMatchObject({ host: '127.0.0.1', port: 9110 });
    expect(toml.api).toMatchObject({ host: '127.0.0.1', port: 9080 });
    expect(toml.lmtp).toMatchObject({ enabled: false });
  });

  it('renders Haraka config: listener, size limit, plugin list and a plugin that loads Kura', () => {
    const files = renderHarakaConfig(config, { pluginModule: '/opt/kura/plugin.js' });
    expect(files['config/smtp.ini']).toContain('listen=127.0.0.1:2525');
    // Kura's plugin enforces the size (552); Haraka's own check is off.
    expect(files['config/connection.ini']).toContain('bytes=0');
    expect(files['config/connection.ini']).toContain('banner_chars=6');
    expect(files['config/plugins']?.trim().split('\n')).toEqual(['limit', 'kura']);
    expect(files['config/limit.ini']).toContain('[rate_rcpt_sender]\nenabled=true\ndefault=2000/5m');
    expect(files['config/redis.ini']).toContain('port=6380');
    expect(files['plugins/kura/index.js']).toContain('"/opt/kura/plugin.js"');
    expect(Number(files['config/kura.timeout'])).toBeGreaterThan(config.smtp.deliveryTimeoutMs / 1000);
  });
});
