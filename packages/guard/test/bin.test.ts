import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The service binaries' shared start-up (config's serviceMain), through the built kura-guard and kura-selfservice. */
const PACKAGES = path.resolve(import.meta.dirname, '../..');
const GUARD = path.join(PACKAGES, 'guard', 'dist', 'bin.js');
const SELFSERVICE = path.join(PACKAGES, 'selfservice', 'dist', 'bin.js');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

describe('service binaries', () => {
  it('end with one line naming the fix when the config cannot be read', () => {
    for (const [bin, name] of [
      [GUARD, 'kura-guard'],
      [SELFSERVICE, 'kura-selfservice'],
    ] as const) {
      const run = spawnSync(process.execPath, [bin, '--config', '/nonexistent/kura.config.json'], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, name).toBe(1);
      expect(run.stderr.trim(), name).toBe(
        `${name}: config file /nonexistent/kura.config.json does not exist (create it, or drop --config / KURA_CONFIG)`,
      );
    }
  });

  it('kura-guard --config serves until SIGTERM, then exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-guard-bin-'));
    const port = await freePort();
    const config = path.join(dir, 'kura.config.json');
    fs.writeFileSync(config, JSON.stringify({ dataDir: path.join(dir, 'data'), guard: { port } }));
    const child = spawn(process.execPath, [GUARD, '--config', config], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let status = 0;
      for (let i = 0; i < 100 && status === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status,
          () => 0,
        );
      }
      // Nothing it probes runs here, so it answers, and answers "not healthy".
      expect(status).toBe(503);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
