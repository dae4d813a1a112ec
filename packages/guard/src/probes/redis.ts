import { parseSentinelUrl, type SentinelTarget } from '@kura/config';
import { Redis } from 'ioredis';
import type { ProbeOutcome } from '../state.js';

function oneShot(host: string, port: number, timeoutMs: number, db = 0, auth: { username?: string; password?: string } = {}): Redis {
  const client = new Redis({
    host,
    port,
    db,
    ...auth,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  return client;
}

/** Checks that host:port answers as a primary; returns how many replicas it has. */
async function pingPrimary(host: string, port: number, target: SentinelTarget, timeoutMs: number): Promise<number> {
  const client = oneShot(host, port, timeoutMs, target.db, { username: target.username, password: target.password });
  try {
    await client.connect();
    const role = (await client.call('ROLE')) as [string, number, unknown[]];
    if (role[0] !== 'master') throw new Error(`${host}:${port} is a ${role[0]}, not a primary`);
    await client.ping();
    return Array.isArray(role[2]) ? role[2].length : 0;
  } finally {
    client.disconnect();
  }
}

/**
 * Redis: through Sentinel when configured (a quorum of Sentinels names one
 * primary, and that primary answers as a primary), otherwise a plain PING.
 */
export async function probeRedis(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const target = parseSentinelUrl(url);
  if (!target) {
    const parsed = new URL(url);
    const client = oneShot(parsed.hostname, Number(parsed.port || 6379), timeoutMs, Number(parsed.pathname.slice(1) || 0), {
      username: decodeURIComponent(parsed.username) || undefined,
      password: decodeURIComponent(parsed.password) || undefined,
    });
    try {
      await client.connect();
      await client.ping();
      return 'PING ok';
    } finally {
      client.disconnect();
    }
  }
  const answers = await Promise.all(
    target.sentinels.map(async ({ host, port }) => {
      const sentinel = oneShot(host, port, timeoutMs, 0, sentinelAuth(target));
      try {
        await sentinel.connect();
        const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', target.name)) as [string, string] | null;
        return addr ? `${addr[0]}:${addr[1]}` : undefined;
      } catch {
        return undefined;
      } finally {
        sentinel.disconnect();
      }
    }),
  );
  const counts = new Map<string, number>();
  for (const a of answers) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
  const [primary, votes] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
  const quorum = Math.floor(target.sentinels.length / 2) + 1;
  if (!primary || votes < quorum)
    throw new Error(`no Sentinel majority names a primary (${answers.filter(Boolean).length}/${answers.length} answered)`);
  const [host = '', port = ''] = primary.split(':');
  const replicas = await pingPrimary(host, Number(port), target, timeoutMs);
  const reachable = answers.filter(Boolean).length;
  const detail = `primary ${primary} with ${replicas} replica${replicas === 1 ? '' : 's'}, ${reachable}/${answers.length} sentinels answer`;
  // Still serving, but one more failure would take Redis down: degraded.
  return reachable < answers.length || replicas === 0
    ? { detail: replicas === 0 ? `${detail}; no replica left` : detail, degraded: true }
    : detail;
}

/** The primary (host:port) a majority of Sentinels names, or undefined for a plain Redis URL. */
export async function currentRedisPrimary(url: string, timeoutMs: number): Promise<string | undefined> {
  const target = parseSentinelUrl(url);
  if (!target) return undefined;
  for (const { host, port } of target.sentinels) {
    const sentinel = oneShot(host, port, timeoutMs, 0, sentinelAuth(target));
    try {
      await sentinel.connect();
      const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', target.name)) as [string, string] | null;
      if (addr) return `${addr[0]}:${addr[1]}`;
    } catch {
      // try the next Sentinel
    } finally {
      sentinel.disconnect();
    }
  }
  return undefined;
}

const sentinelAuth = (target: SentinelTarget) => ({ username: target.sentinelUsername, password: target.sentinelPassword });
