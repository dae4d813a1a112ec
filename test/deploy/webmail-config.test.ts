import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, renderRoundcubeConfig } from '@kura/config';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Both Roundcube configs (the one the local stack generates, the production
 * one in deploy/webmail) loaded by Debian's Roundcube itself, the way it loads
 * them at every request: ROUNDCUBE_CONFIG_DIR, Debian's defaults underneath.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const KEYS = [
  'product_name',
  'db_dsnw',
  'imap_host',
  'smtp_host',
  'smtp_user',
  'smtp_conn_options',
  'imap_conn_options',
  'des_key',
  'language',
];

function roundcubeSees(configDir: string, env: Record<string, string> = {}): Record<string, unknown> {
  const script = [
    "define('INSTALL_PATH', '/var/lib/roundcube/');",
    "require_once INSTALL_PATH . 'program/include/clisetup.php';",
    '$c = rcube::get_instance()->config;',
    "$keys = json_decode(getenv('KURA_KEYS'));",
    'echo json_encode(array_combine($keys, array_map(fn ($k) => $c->get($k), $keys)));',
  ].join(' ');
  const out = execFileSync('php', ['-r', script], {
    env: { ...process.env, ...env, ROUNDCUBE_CONFIG_DIR: configDir, KURA_KEYS: JSON.stringify(KEYS) },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('Roundcube configuration', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the generated local config: Kura ports, verified STARTTLS for sending, and names PHP reads back exactly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-roundcube-'));
    dirs.push(dir);
    // Quotes, backslashes and PHP's own syntax in a value stay text.
    const productName = `Kura's "mail" \\ $config ?> 蔵`;
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, webmail: { productName } } });
    for (const [name, content] of Object.entries(renderRoundcubeConfig(config, { desKey: 'k'.repeat(24), caFile: '/ca.pem' }))) {
      fs.writeFileSync(path.join(dir, name), content);
    }
    const seen = roundcubeSees(dir);
    expect(seen.product_name).toBe(productName);
    expect(seen.imap_host).toBe(`127.0.0.1:${config.ports.imap}`);
    expect(seen.smtp_host).toBe(`tls://127.0.0.1:${config.ports.submission}`);
    expect(seen.smtp_user).toBe('%u');
    expect(seen.smtp_conn_options).toEqual({ ssl: { verify_peer: true, verify_peer_name: true, cafile: '/ca.pem' } });
    expect(seen.db_dsnw).toBe(`sqlite:///${path.join(dir, 'webmail', 'roundcube.sqlite')}?mode=0600`);
    expect(seen.des_key).toBe('k'.repeat(24));
    expect(seen.language).toBeNull();
  });

  it('deploy/webmail: IMAP and submission through HAProxy with STARTTLS, verified; the key only from the environment', () => {
    const dir = path.join(ROOT, 'deploy', 'webmail', 'config');
    const seen = roundcubeSees(dir, { ROUNDCUBE_DES_KEY: 'e'.repeat(24) });
    expect(seen.imap_host).toBe('tls://haproxy:143');
    expect(seen.smtp_host).toBe('tls://haproxy:587');
    for (const key of ['imap_conn_options', 'smtp_conn_options']) {
      expect((seen[key] as { ssl: Record<string, unknown> }).ssl).toMatchObject({ verify_peer: true, verify_peer_name: true });
    }
    expect(seen.des_key).toBe('e'.repeat(24));
    for (const file of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, file), 'utf8')).not.toMatch(/des_key'\] = '[^']/);
  });
});
