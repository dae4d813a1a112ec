import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/**
 * Connects to host:port, optionally sends a line, and resolves with the first
 * line the server answers. Used to decide that a service "really answers".
 */
export function firstLine(host: string, port: number, send?: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    const done = (err: Error | null, line?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.on('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\n');
      if (end >= 0) done(null, buffer.slice(0, end).replace(/\r$/, ''));
    });
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(new Error(`${host}:${port} closed the connection without answering`)));
  });
}

/** The first line a TLS server (implicit TLS) sends, its certificate checked against `caFile` (or the system CAs). */
export function tlsFirstLine(host: string, port: number, caFile?: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const ca = caFile ? fs.readFileSync(caFile) : undefined;
    const socket = tls.connect({ host, port, ca, servername: net.isIP(host) ? undefined : host });
    let buffer = '';
    const done = (err: Error | null, line?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no TLS greeting from ${host}:${port} within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\n');
      if (end >= 0) done(null, buffer.slice(0, end).replace(/\r$/, ''));
    });
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(new Error(`${host}:${port} closed the TLS connection without a greeting`)));
  });
}

/** True when nothing accepts connections on host:port. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Retries `check` until it resolves or `timeoutMs` passes; rejects with the last error. */
export async function waitUntil(check: () => Promise<unknown>, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw lastError instanceof Error ? lastError : new Error('timed out');
}

/** The lowest port the kernel hands out for outgoing connections and `listen(0)` (Linux), if known. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

const UNASSIGNED_FROM = 10_000;

/**
 * `count` distinct loopback ports that are free now (for tests and benchmarks). They are drawn at
 * random from below the kernel's ephemeral range: a port the kernel handed out by `listen(0)` may be
 * taken again as the local port of any outgoing connection before the service that was meant to
 * listen on it starts ("port … is already in use" under a busy test run). Without room below that
 * range the kernel chooses, as before.
 */
export async function freePorts(count: number): Promise<number[]> {
  const low = ephemeralLow();
  if (low === undefined || low - UNASSIGNED_FROM < 20 * count + 1_000) return kernelPorts(count);
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < 50 * count; tries++) {
    const port = randomInt(UNASSIGNED_FROM, low);
    if (!ports.has(port) && (await portIsFree('127.0.0.1', port))) ports.add(port);
  }
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free loopback ports below ${low}`);
  return [...ports];
}

async function kernelPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
