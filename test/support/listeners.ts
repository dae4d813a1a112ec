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

/** Options of a scripted conversation. */
export interface ConverseOptions {
  /** Wait for the server's greeting before sending. */
  greeting?: boolean;
  waitMs?: number;
  /** Open with a PROXY protocol (v1) header, as HAProxy does towards WildDuck. */
  proxy?: boolean;
  /** Implicit TLS, the certificate checked against this CA. */
  ca?: Buffer;
  /** Source address of the connection (e.g. 127.0.0.2, to tell a client from HAProxy). */
  localAddress?: string;
  /** Where the listener is (default 127.0.0.1). */
  host?: string;
}

/**
 * A scripted conversation: reads the greeting (when `greeting`), then sends
 * each line and collects everything the server answers within `waitMs` of
 * the last line. Resolves early when the server closes.
 */
export function converse(port: number, lines: string[], options: ConverseOptions = {}): Promise<string> {
  const waitMs = options.waitMs ?? 1_500;
  return new Promise((resolve) => {
    const raw = net.connect({ host: options.host ?? '127.0.0.1', port, localAddress: options.localAddress });
    let socket: net.Socket = raw;
    let text = '';
    let sent = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      raw.destroy();
      resolve(text);
    };
    const sendAll = () => {
      if (sent) return;
      sent = true;
      for (const line of lines) socket.write(`${line}\r\n`);
      timer = setTimeout(finish, waitMs);
    };
    const start = () => {
      if (!options.greeting) sendAll();
      else timer = setTimeout(sendAll, waitMs);
    };
    const listen = (s: net.Socket) => {
      s.setEncoding('latin1');
      s.on('data', (chunk: string) => {
        text += chunk;
        if (options.greeting && text.includes('\n') && !sent) {
          clearTimeout(timer);
          sendAll();
        }
      });
      s.on('error', (err) => {
        text += `\n[error ${err.message}]`;
        finish();
      });
      s.on('close', finish);
    };
    raw.once('connect', () => {
      if (options.proxy) raw.write(proxyHeader(raw));
      if (options.ca) {
        socket = tls.connect({ socket: raw, ca: options.ca });
        socket.once('secureConnect', start);
      } else start();
      listen(socket);
    });
    raw.once('error', (err) => {
      text += `\n[error ${err.message}]`;
      finish();
    });
  });
}

/** The PROXY protocol (v1) line for a connection, naming its own ends. */
export const proxyHeader = (s: net.Socket) => `PROXY TCP4 ${s.localAddress} ${s.remoteAddress} ${s.localPort} ${s.remotePort}\r\n`;

/** Completes a TLS handshake on `port` (after a PROXY header when `proxy`), the certificate checked against `ca`. */
export function tlsGreeting(port: number, ca: Buffer, proxy = false): Promise<{ line: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port });
    raw.once('error', reject);
    raw.once('connect', () => {
      if (proxy) raw.write(proxyHeader(raw));
      const socket = tls.connect({ socket: raw, ca });
      let text = '';
      socket.setEncoding('latin1');
      socket.setTimeout(5_000, () => {
        socket.destroy();
        reject(new Error(`no TLS greeting on ${port}`));
      });
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) {
          const serial = socket.getPeerCertificate().serialNumber;
          socket.destroy();
          resolve({ line: text.split('\r\n')[0] ?? '', serial });
        }
      });
      socket.on('error', reject);
    });
  });
}

/** An HTTP request without credentials (or with `headers`): status and headers. */
export async function httpProbe(
  port: number,
  path: string,
  init: RequestInit = {},
  host = '127.0.0.1',
): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`http://${host}:${port}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The serial number of the certificate an SMTP server presents after EHLO + STARTTLS (checked against `ca`). */
export function smtpStartTlsSerial(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port });
    const fail = (err: Error) => {
      raw.destroy();
      reject(err);
    };
    raw.setTimeout(5_000, () => fail(new Error(`no STARTTLS on ${port}`)));
    raw.once('error', fail);
    raw.setEncoding('latin1');
    let text = '';
    let step = 0;
    const onData = (chunk: string) => {
      text += chunk;
      if (step === 0 && /^220 /m.test(text)) {
        step = 1;
        text = '';
        raw.write('EHLO serial.invalid\r\n');
      } else if (step === 1 && /^250 /m.test(text)) {
        step = 2;
        text = '';
        raw.write('STARTTLS\r\n');
      } else if (step === 2 && /^220 /m.test(text)) {
        raw.off('data', onData);
        const socket = tls.connect({ socket: raw, ca, servername: 'localhost' }, () => {
          const serial = socket.getPeerCertificate().serialNumber;
          socket.destroy();
          resolve(serial);
        });
        socket.once('error', fail);
      } else if (/^[45]\d\d /m.test(text)) fail(new Error(`STARTTLS on ${port}: ${text}`));
    };
    raw.on('data', onData);
  });
}
