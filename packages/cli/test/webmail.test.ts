import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, roundcubePaths } from '@kura/config';
import { afterAll, describe, expect, it } from 'vitest';
import { SetupError } from '../src/stack/services.js';
import { prepareWebmail } from '../src/stack/webmail.js';

/** Preparing the local webmail with Debian's Roundcube (no server started). */
describe('webmail preparation', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-webmail-prep-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Debian's Roundcube config directory as it is now (names, sizes, modification times). */
  const debianConfig = () =>
    fs.readdirSync('/etc/roundcube').map((f) => {
      const st = fs.statSync(path.join('/etc/roundcube', f));
      return `${f} ${st.size} ${st.mtimeMs}`;
    });

  it("keeps one key per installation across starts, makes the SQLite schema, leaves Debian's /etc/roundcube alone", () => {
    const before = debianConfig();
    const dir = dataDir();
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir } });
    const paths = roundcubePaths(config);
    prepareWebmail(config);
    const key = fs.readFileSync(paths.desKey, 'utf8');
    expect(fs.statSync(paths.desKey).mode & 0o777).toBe(0o600);
    expect(fs.statSync(paths.database).size).toBeGreaterThan(0);
    prepareWebmail(config);
    expect(fs.readFileSync(paths.desKey, 'utf8')).toBe(key);
    expect(fs.readdirSync(paths.config).sort()).toEqual(['config.inc.php', 'defaults.inc.php', 'mimetypes.php']);
    // A second installation gets a key of its own.
    const other = dataDir();
    prepareWebmail(loadConfig({ cwd: other, env: {}, overrides: { dataDir: other } }));
    expect(fs.readFileSync(path.join(other, 'webmail', 'des_key'), 'utf8')).not.toBe(key);
    expect(debianConfig()).toEqual(before);
  });

  it('names the missing packages and the way out when Roundcube is not installed', () => {
    const dir = dataDir();
    const config = loadConfig({ cwd: dir, env: {}, overrides: { dataDir: dir, webmail: { roundcubeDir: path.join(dir, 'none') } } });
    expect(() => prepareWebmail(config)).toThrow(SetupError);
    expect(() => prepareWebmail(config)).toThrow(/roundcube-core roundcube-sqlite3 php8\.2-cli.*"webmail": \{ "enabled": false \}/);
  });
});
