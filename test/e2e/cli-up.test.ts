import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitUntil } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, tempDataDir, testTrust } from '../support/stack.js';

const bin = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runKura(args: string[], cwd: string) {
  // The config comes from `cwd` only, whatever the developer's shell points KURA_CONFIG / KURA_DATA_DIR at.
  const { KURA_CONFIG: _config, KURA_DATA_DIR: _dataDir, ...env } = process.env;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('kura up', () => {
  const dirs: string[] = [];
  const children: Array<ReturnType<typeof runKura>> = [];
  afterEach(async () => {
    for (const run of children.splice(0)) {
      if (run.child.exitCode === null) {
        run.child.kill('SIGINT');
        await run.exited;
      }
    }
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints endpoints and demo credentials, writes them as JSON, and Ctrl-C leaves no process behind', async () => {
    const dir = tempDataDir('cli');
    dirs.push(dir);
    // Every port the config knows (metrics too): nothing may fall back to a default that `npm start` holds.
    const names = Object.keys(loadConfig({ cwd: dir, env: {} }).ports);
    const ports = Object.fromEntries((await freePorts(names.length)).map((port, i) => [names[i], port]));
    const { smtp, imap, submission, submissions, webmail } = ports as Record<string, number>;
    fs.writeFileSync(path.join(dir, 'kura.config.json'), JSON.stringify({ dataDir: 'data', ports, trust: testTrust() }));

    const run = runKura(['up'], dir);
    children.push(run);
    const endpointsFile = path.join(dir, 'data', 'endpoints.json');
    await waitUntil(
      async () => {
        if (run.child.exitCode !== null) throw new Error(`kura up exited early:\n${run.output()}`);
        if (!fs.existsSync(endpointsFile)) throw new Error('not yet');
      },
      120_000,
      250,
    );

    const endpoints = JSON.parse(fs.readFileSync(endpointsFile, 'utf8'));
    expect(endpoints.smtp).toEqual({ host: '127.0.0.1', port: smtp, tls: false });
    // The demo account is what is tested here (the login `kura up` prints), so this test names it rather than a user of its own.
    expect(endpoints.demo).toEqual({ username: 'demo', address: 'demo@kura.test', password: 'demo-password' });
    expect(Object.keys(endpoints.pids).sort()).toEqual([
      'ferretdb',
      'haraka',
      'redis',
      'rspamd',
      'selfservice',
      'submission',
      'webmail',
      'wildduck',
    ]);
    const pids = Object.values(endpoints.pids) as number[];
    expect(endpoints.submission).toEqual({
      host: '127.0.0.1',
      port: submission,
      tlsPort: submissions,
      ca: path.join(dir, 'data', 'tls', 'ca.pem'),
    });
    expect(pids.every(isAlive)).toBe(true);
    await waitUntil(async () => {
      if (!run.output().includes('Press Ctrl-C')) throw new Error('table not printed yet');
    }, 10_000);
    expect(run.output()).toContain(`127.0.0.1:${imap}`);
    expect(run.output()).toContain('demo-password');
    expect(run.output()).toContain(`http://127.0.0.1:${ports.selfService}/`);
    // The webmail's URL with the demo login, and Roundcube's login form behind it.
    expect(endpoints.webmail).toEqual({ url: `http://127.0.0.1:${webmail}/` });
    expect(run.output()).toContain(`Webmail: open http://127.0.0.1:${webmail}/ and log in as "demo" / "demo-password"`);
    expect(await fetch(endpoints.webmail.url).then((r) => r.text())).toContain('id="rcmloginuser"');

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 180_000);

  it('rejects an invalid config file with the field and no stack trace', async () => {
    const dir = tempDataDir('badcfg');
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'kura.config.json'), JSON.stringify({ ports: { smtp: 'twenty-five' } }));
    const run = runKura(['up'], dir);
    children.push(run);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('ports.smtp');
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});
