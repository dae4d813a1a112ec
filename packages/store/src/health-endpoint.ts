import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

const STARTED_AT = new Date(Math.round(performance.timeOrigin)).toISOString();

/** One named check of a deep health endpoint; throws when the part is unusable. */
export type HealthCheck = { name: string; run: () => Promise<unknown> };

export interface HealthEndpointOptions {
  host: string;
  port: number;
  checks: HealthCheck[];
  timeoutMs?: number;
}

/**
 * A deep health endpoint inside a frontend process (HAProxy checks it):
 * `GET /health` answers 200 only when every check passes within the timeout,
 * 503 with the failing checks otherwise. Plain node:http on purpose: it runs
 * inside WildDuck's and Haraka's processes, which must not load a framework.
 */
export function startHealthEndpoint(options: HealthEndpointOptions): http.Server {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const server = http.createServer((req, res) => {
    if (req.url !== '/health' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      // Two calls, not a chain: inside WildDuck, restify replaces writeHead with one that returns nothing,
      // and a chained .end() threw outside any handler, so one request to another path killed the instance.
      res.writeHead(req.url === '/health' ? 405 : 404);
      res.end();
      return;
    }
    void runChecks(options.checks, timeoutMs).then((results) => {
      const ok = results.every((r) => r.ok);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', connection: 'close' });
      // pid and start time let the guard count restarts of this process (crash-loop alert).
      res.end(`${JSON.stringify({ ok, checks: results, pid: process.pid, startedAt: STARTED_AT })}\n`);
    });
  });
  server.on('error', (err) => process.stderr.write(`health endpoint on ${options.host}:${options.port}: ${err.message}\n`));
  server.listen({ host: options.host, port: options.port });
  server.unref();
  return server;
}

async function runChecks(checks: HealthCheck[], timeoutMs: number) {
  return Promise.all(
    checks.map(async ({ name, run }) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          run(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name, ok: true, ms: Date.now() - started };
      } catch (err) {
        return { name, ok: false, ms: Date.now() - started, error: (err as Error).message };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** Connects, reads the first line and checks it against `expected` (a real protocol greeting). */
export function expectGreeting(
  host: string,
  port: number,
  expected: RegExp,
  timeoutMs = 2_000,
  options: {
    /** Implicit TLS: the greeting comes after the handshake, the certificate checked against `ca`. */
    secure?: { ca?: Buffer };
    /** Open with a PROXY protocol (v1) header, as HAProxy does (WildDuck behind HAProxy expects one). */
    proxyHeader?: boolean;
  } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host, port });
    let socket: net.Socket = raw;
    let buffer = '';
    const done = (err: Error | null, line = '') => {
      raw.destroy();
      socket.destroy();
      if (err) reject(err);
      else if (!expected.test(line)) reject(new Error(`unexpected greeting on ${host}:${port}: ${line.slice(0, 80)}`));
      else resolve(line);
    };
    const listen = (s: net.Socket) => {
      s.setTimeout(timeoutMs, () => done(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`)));
      s.on('data', (chunk) => {
        buffer += chunk.toString('latin1');
        const end = buffer.indexOf('\n');
        if (end >= 0) done(null, buffer.slice(0, end).replace(/\r$/, ''));
      });
      s.on('error', (err) => done(err));
      s.on('end', () => done(new Error(`${host}:${port} closed without a greeting`)));
    };
    raw.once('error', (err) => done(err));
    raw.once('connect', () => {
      if (options.proxyHeader) raw.write(`PROXY TCP4 ${raw.localAddress} ${raw.remoteAddress} ${raw.localPort} ${raw.remotePort}\r\n`);
      if (options.secure) {
        socket = tls.connect({ socket: raw, ca: options.secure.ca, servername: net.isIP(host) ? undefined : host });
      }
      listen(socket);
    });
  });
}
