import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitUntil } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { afterAll, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { sendMail } from '../support/smtp-client.js';
import { freePorts, inboxSources, isAlive, newUser, tempDataDir } from '../support/stack.js';

const bin = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

describe('kura up contains a crash', () => {
  const dir = tempDataDir('crash');
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<number | null> | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a WildDuck killed with -9 after a back-off, logs it, and the rest of the stack keeps serving', async () => {
    const [smtp, imap, pop3, api, mongodb, redis, smtpMetrics] = await freePorts(7);
    fs.writeFileSync(
      path.join(dir, 'kura.config.json'),
      JSON.stringify({ dataDir: 'data', logLevel: 'warn', ports: { smtp, imap, pop3, api, mongodb, redis, smtpMetrics } }),
    );
    const config = loadConfig({ cwd: dir, file: path.join(dir, 'kura.config.json') });
    child = spawn(process.execPath, [bin, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child?.on('exit', (code) => resolve(code)));
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const endpointsFile = path.join(dir, 'data', 'endpoints.json');
    const pids = (): Record<string, number> => JSON.parse(fs.readFileSync(endpointsFile, 'utf8')).pids;
    await waitUntil(
      async () => {
        if (child?.exitCode !== null) throw new Error(`kura up exited early:\n${output}`);
        if (!fs.existsSync(endpointsFile)) throw new Error('not yet');
      },
      120_000,
      250,
    );
    const before = pids();
    // Its own account (created while WildDuck's API is up), so the mailbox holds only this test's mail.
    const user = await newUser(config, 'crash');
    const to = user.address;

    process.kill(before.wildduck as number, 'SIGKILL');
    // While WildDuck is down, the MX still accepts and stores mail (it does not need WildDuck's process).
    const during = await sendMail(smtp as number, { from: 'sender@example.org', to: [to] }, plainMessage(to, 'while wildduck restarts'));
    expect(during.data?.code).toBe(250);

    await waitUntil(
      async () => {
        const now = pids();
        if (now.wildduck === before.wildduck || !isAlive(now.wildduck)) throw new Error('wildduck not back yet');
      },
      60_000,
      250,
    );
    expect(output).toMatch(/wildduck exited unexpectedly \(SIGKILL\); restarting in 1 s, restart 1\./);
    expect(output).toMatch(/wildduck answers again \(pid \d+\)/);
    // Nothing else was stopped or restarted, and `kura up` itself is still running.
    const after = pids();
    for (const name of ['ferretdb', 'redis', 'haraka']) expect(after[name], name).toBe(before[name]);
    expect(child.exitCode).toBeNull();
    // The supervisor's JSON journal counts the restart.
    const journal = fs
      .readFileSync(path.join(config.paths.logs, 'supervisor.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal[0]).toMatchObject({
      event: 'crash',
      service: 'wildduck',
      signal: 'SIGKILL',
      restarts: 1,
      delayMs: 1000,
      crashLoop: false,
    });
    expect(journal[1]).toMatchObject({ event: 'restarted', service: 'wildduck', pid: after.wildduck });

    // The restarted WildDuck serves the mail accepted while it was down.
    const stored = await inboxSources(config, user);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.source.includes(Buffer.from('Subject: while wildduck restarts'))).toBe(true);
  }, 180_000);
});
