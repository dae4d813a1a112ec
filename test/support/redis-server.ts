import { spawn } from 'node:child_process';
import { waitUntil } from '@kura/cli';
import { Redis } from 'ioredis';
import { freePorts } from './stack.js';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A throwaway Redis (Debian's redis-server) on a free loopback port, without persistence. */
export async function startRedis(): Promise<TestRedis> {
  const [port] = (await freePorts(1)) as [number];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitUntil(async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {}); // not up yet: the connect() rejection says so
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, stop };
}
