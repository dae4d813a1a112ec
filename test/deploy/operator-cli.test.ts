import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'kura.sh');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-operator-'));

/**
 * Stand-ins for every tool the developer set-up uses to change the host. Each records that it was
 * called and fails (dpkg-query too, so that set-up would believe packages are missing and reach for
 * apt-get), so an operator command that reaches for one is caught without changing anything.
 */
function hostChangingStubs(): { dir: string; calls: () => string } {
  const dir = path.join(work, 'stubs');
  const log = path.join(work, 'calls.log');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(log, '');
  for (const tool of [
    'apt-get',
    'apt',
    'dpkg',
    'dpkg-query',
    'debconf-set-selections',
    'systemctl',
    'service',
    'npm',
    'npx',
    'go',
    'curl',
    'wget',
  ]) {
    fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit 1\n`, { mode: 0o755 });
  }
  return { dir, calls: () => fs.readFileSync(log, 'utf8') };
}

function kura(script: string, args: string[], stubs: string) {
  return spawnSync('bash', [script, 'kura', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${stubs}:${process.env.PATH}`, KURA_FERRETDB_BIN: '' },
    timeout: 60_000,
  });
}

describe('operator commands never change the host', () => {
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('runs `kura …` from the installed build without apt, systemctl, npm, go or downloads', () => {
    const stubs = hostChangingStubs();
    const config = path.join(work, 'kura.config.json');
    fs.writeFileSync(config, JSON.stringify({ dataDir: path.join(work, 'data') }));
    const help = kura(SCRIPT, ['--help'], stubs.dir);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: kura');
    const list = kura(SCRIPT, ['snapshot', 'list', '--config', config], stubs.dir);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stderr).not.toContain('[setup]');
    expect(stubs.calls()).toBe('');
  });

  it('fails with the fix when the build is missing, and still installs nothing', () => {
    const stubs = hostChangingStubs();
    const bare = path.join(work, 'bare');
    fs.mkdirSync(path.join(bare, 'scripts'), { recursive: true });
    fs.copyFileSync(SCRIPT, path.join(bare, 'scripts', 'kura.sh'));
    const run = kura(path.join(bare, 'scripts', 'kura.sh'), ['status'], stubs.dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/kura: (Kura is not built|Node\.js >= 24 is not installed)/);
    expect(run.stderr).toMatch(/fix: .*(npm ci && npm run build|install Node\.js 24)/);
    expect(stubs.calls()).toBe('');
  });

  it('ships systemd units that write owner-only files and restart a crashed service', () => {
    const dir = path.join(ROOT, 'deploy', 'systemd');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.service'))) {
      const unit = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(unit, file).toMatch(/^UMask=0077$/m);
      if (/^Type=simple$/m.test(unit)) expect(unit, file).toMatch(/^Restart=(always|on-failure)$/m);
    }
  });

  it('has compose restart every long-running service', () => {
    const compose = parse(fs.readFileSync(path.join(ROOT, 'deploy', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { restart?: string }>;
    };
    const oneShot = new Set(['mongo-init']);
    for (const [name, service] of Object.entries(compose.services)) {
      if (!oneShot.has(name)) expect(service.restart, name).toMatch(/^(always|unless-stopped|on-failure)$/);
    }
  });
});
