import { type ChildProcess, spawn } from 'node:child_process';
import { freePorts } from '@kura/cli';
import { checkLogin, clearLoginFailures, type LoginFailureLimit, loginFailureLogLine, recordLoginFailure } from '@kura/store';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The shared failed-login counter against a real Redis (two clients stand for two nodes). */
describe('per-IP failed-login limit (Redis)', () => {
  let server: ChildProcess;
  let nodeA: Redis;
  let nodeB: Redis;
  const limit: LoginFailureLimit = { failures: 3, windowSeconds: 60, blockSeconds: 120 };

  beforeAll(async () => {
    const [port] = await freePorts(1);
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    nodeA = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    nodeB = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    for (let i = 0; i < 50; i++) {
      if (
        await nodeA.connect().then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await nodeB.connect();
  });

  afterAll(async () => {
    nodeA?.disconnect();
    nodeB?.disconnect();
    server?.kill('SIGKILL');
  });

  it('blocks an address after N failures counted on any node, for the block time, and leaves other addresses alone', async () => {
    const ip = '192.0.2.10';
    expect(await checkLogin(nodeA, ip, limit)).toEqual({ allowed: true, failures: 0, retryAfterSeconds: 0 });
    expect((await recordLoginFailure(nodeA, ip, limit)).allowed).toBe(true);
    expect((await recordLoginFailure(nodeB, ip, limit)).allowed).toBe(true);
    const third = await recordLoginFailure(nodeA, ip, limit);
    expect(third).toMatchObject({ allowed: false, failures: 3 });
    // The window became the block.
    expect(third.retryAfterSeconds).toBeGreaterThan(60);
    expect(third.retryAfterSeconds).toBeLessThanOrEqual(120);
    const refused = await checkLogin(nodeB, ip, limit);
    expect(refused).toMatchObject({ allowed: false, failures: 3 });
    // Checking does not count.
    expect((await checkLogin(nodeB, ip, limit)).failures).toBe(3);
    expect((await checkLogin(nodeA, '192.0.2.11', limit)).allowed).toBe(true);
    await clearLoginFailures(nodeA, ip);
    expect((await checkLogin(nodeB, ip, limit)).allowed).toBe(true);
  });

  it('forgets failures once the window has passed', async () => {
    const ip = '192.0.2.20';
    const short = { failures: 2, windowSeconds: 1, blockSeconds: 60 };
    await recordLoginFailure(nodeA, ip, short);
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await recordLoginFailure(nodeA, ip, short)).toMatchObject({ allowed: true, failures: 1 });
  });

  it('never counts or refuses an exempt address', async () => {
    const exempt = { ...limit, exempt: ['192.0.2.40'] };
    for (let i = 0; i < 5; i++) expect((await recordLoginFailure(nodeA, '192.0.2.40', exempt)).allowed).toBe(true);
    expect(await checkLogin(nodeB, '192.0.2.40', exempt)).toEqual({ allowed: true, failures: 0, retryAfterSeconds: 0 });
    expect(await nodeA.exists('kura:login-failures:192.0.2.40')).toBe(0);
  });

  it('is off with 0 failures', async () => {
    const off = { failures: 0, windowSeconds: 60, blockSeconds: 60 };
    for (let i = 0; i < 5; i++) expect((await recordLoginFailure(nodeA, '192.0.2.30', off)).allowed).toBe(true);
    expect(await nodeA.exists('kura:login-failures:192.0.2.30')).toBe(0);
  });

  it('writes one JSON log line naming the client address', () => {
    const line = loginFailureLogLine({
      ip: '198.51.100.7',
      service: 'imap',
      outcome: 'refused',
      verdict: { allowed: false, failures: 3, retryAfterSeconds: 90 },
      limit,
      now: new Date('2026-01-02T03:04:05.000Z'),
    });
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'warn',
      msg: 'login refused: too many failures from this address',
      event: 'kura-login-refused',
      ip: '198.51.100.7',
      service: 'imap',
      failures: 3,
      limit: 3,
      retryAfterSeconds: 90,
    });
  });
});
