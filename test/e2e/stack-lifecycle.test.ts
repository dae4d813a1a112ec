import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SetupError, startStack } from '@kura/cli';
import { afterEach, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { sendMail } from '../support/smtp-client.js';
import { inboxSources, isAlive, newUser, startTestStack, type TestStack, tempDataDir, testConfig } from '../support/stack.js';

describe('local stack lifecycle', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps stored mail across a stop and start of the whole stack', async () => {
    const dataDir = tempDataDir('persist');
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = await testConfig(dataDir);

    const first = await startTestStack(config);
    cleanups.push(() => first.stop());
    const user = await newUser(config, 'persist');
    const message = plainMessage(user.address, 'survives restart');
    const sent = await sendMail(config.ports.smtp, { from: 'sender@example.org', to: [user.address] }, message);
    expect(sent.data?.code).toBe(250);
    const pids = Object.values(first.stack.endpoints.pids);
    await first.stop();
    expect(pids.filter(isAlive)).toEqual([]);

    const second = await startTestStack(config);
    cleanups.push(() => second.stop());
    const stored = await inboxSources(config, user);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.source.subarray(-message.length).equals(message)).toBe(true);
  }, 180_000);

  it('temp-fails (4xx, never 5xx) while the data tier is down', async () => {
    const dataDir = tempDataDir('down');
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const t: TestStack = await startTestStack(await testConfig(dataDir));
    cleanups.push(() => t.stop());

    // Created while the data tier is up: the refusal below is about the outage, not an unknown recipient.
    const user = await newUser(t.config, 'down');
    await t.stack.supervisor.stopService('ferretdb', 'SIGKILL');
    const result = await sendMail(
      t.config.ports.smtp,
      { from: 'sender@example.org', to: [user.address] },
      plainMessage(user.address, 'while down'),
    );
    const verdict = result.rcpts[0]?.code === 250 ? result.data : result.rcpts[0];
    expect(verdict?.code).toBe(451);
    expect(verdict?.enhanced).toBe('4.3.0');
  }, 180_000);

  it('refuses to start on a taken port, names the port and the fix, and leaves nothing running', async () => {
    const dataDir = tempDataDir('port');
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = await testConfig(dataDir);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: config.ports.smtp }, resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    const error = await startStack(config).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SetupError);
    expect((error as Error).message).toContain(`port ${config.ports.smtp}`);
    expect((error as Error).message).toContain('ports.smtp');
  }, 180_000);

  it('refuses an unusable data directory with a clear message', async () => {
    const parent = tempDataDir('baddir');
    cleanups.push(() => fs.rmSync(parent, { recursive: true, force: true }));
    const file = path.join(parent, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const config = await testConfig(parent);
    const broken = { ...config, dataDir: file, paths: { ...config.paths, run: path.join(file, 'run') } };
    const error = await startStack(broken).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SetupError);
    expect((error as Error).message).toMatch(/data directory .* is not usable/);
  });
});
