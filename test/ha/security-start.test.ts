import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../support/stack.js';

const bin = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

/** Runs `kura <args>` in `dir` to its end; resolves with the exit code and everything it printed. */
function kura(args: string[], dir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Kura refuses to start where it would be reachable from the network with a
 * default or placeholder secret, without the secured profile, or without
 * certificates, and says which setting to fix. Nothing is started (TEST-NET
 * address 192.0.2.10 is never bound).
 */
describe('a start on a public address', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function project(config: Record<string, unknown>): string {
    const dir = tempDataDir('sec-start');
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'kura.config.json'), JSON.stringify({ dataDir: 'data', host: '192.0.2.10', ...config }));
    return dir;
  }

  const noServiceStarted = (dir: string) => {
    const logs = path.join(dir, 'data', 'logs');
    expect(fs.existsSync(logs) ? fs.readdirSync(logs) : []).toEqual([]);
  };

  it('with a placeholder canary password fails and names it', async () => {
    const dir = project({ security: { enabled: true }, guard: { canary: { password: 'change-this-canary-password' } } });
    const run = await kura(['up', '--ha'], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/refusing to start on non-loopback address 192\.0\.2\.10: guard\.canary\.password looks like a placeholder/);
    noServiceStarted(dir);
  });

  it('with a placeholder secret from the environment fails and names it', async () => {
    const dir = project({ security: { enabled: true } });
    const run = await kura(['up', '--ha'], dir, { KURA_API_TOKEN: 'changeme' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/secret apiToken looks like a placeholder/);
    noServiceStarted(dir);
  });

  it('without certificates fails and names the settings', async () => {
    const dir = project({ security: { enabled: true } });
    const run = await kura(['up', '--ha'], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/without certificates: set security\.tls\.cert and security\.tls\.key/);
    // The generated secrets are there for the next attempt, readable by their owner only.
    expect(fs.statSync(path.join(dir, 'data', 'secrets.json')).mode & 0o777).toBe(0o600);
    noServiceStarted(dir);
  });

  it('without the secured profile fails, also for the single stack on 0.0.0.0', async () => {
    const dir = project({ host: '0.0.0.0' });
    const run = await kura(['up'], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(
      /refusing to start on non-loopback address 0\.0\.0\.0 without the secured profile: set "security": \{ "enabled": true \}/,
    );
    noServiceStarted(dir);
  });

  it('with a secrets file others can read fails and says how to fix it', async () => {
    const dir = project({ security: { enabled: true } });
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'secrets.json'), '{}', { mode: 0o644 });
    const run = await kura(['up', '--ha'], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/secrets file .*secrets\.json is readable by group or others \(mode 0644\); run chmod 600/);
    noServiceStarted(dir);
  });
});
