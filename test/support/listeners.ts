import { execFileSync } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';

/** One listening TCP socket: address, port and the process that owns it. */
export interface Listener {
  address: string;
  port: number;
  pid: number;
}

/** Every listening TCP socket owned by one of `pids`, from `ss -ltnp` (the kernel's view, not the config's). */
export function listeningSockets(pids: number[]): Listener[] {
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  const wanted = new Set(pids);
  const found: Listener[] = [];
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const pidMatches = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    const pid = pidMatches.find((p) => wanted.has(p));
    if (!local || pid === undefined) continue;
    const at = local.lastIndexOf(':');
    found.push({ address: local.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(local.slice(at + 1)), pid });
  }
  return found;
}

/**
 * A plaintext conversation: reads the greeting (when `greeting`), then sends
 * each line and collects everything the server answers within `waitMs` of
 * the last line. Resolves early when the server closes.
 */
export function converse(port: number, lines: string[], options: { greeting?: boolean; waitMs?: number } = {}): Promise<string> {
  const waitMs = options.waitMs ?? 1_500;
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let sent = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const sendAll = () => {
      if (sent) return;
      sent = true;
      for (const line of lines) socket.write(`${line}\r\n`);
      timer = setTimeout(finish, waitMs);
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      if (!options.greeting) sendAll();
      else timer = setTimeout(sendAll, waitMs);
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (options.greeting && text.includes('\n') && !sent) {
        clearTimeout(timer);
        sendAll();
      }
    });
    socket.on('error', (err) => {
      text += `\n[error ${err.message}]`;
      finish();
    });
    socket.on('close', finish);
  });
}

/** Completes a TLS handshake on `port`, the certificate checked against `ca`; resolves with the first line after it. */
export function tlsGreeting(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca });
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no TLS greeting on ${port}`));
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) {
        socket.destroy();
        resolve(text.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
  });
}

/** An HTTP request without credentials (or with `headers`): status and headers. */
export async function httpProbe(
  port: number,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
