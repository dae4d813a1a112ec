import net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from './client-tls.js';

/**
 * A line-oriented client for the probes' text protocols (SMTP, POP3, HAProxy's
 * runtime API): connect, then alternate between sending a line and reading
 * the reply, all under one deadline.
 */
export class LineConnection {
  private buffer = '';
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end = this.buffer.indexOf('\n');
      while (end >= 0) {
        this.lines.push(this.buffer.slice(0, end).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(end + 1);
        end = this.buffer.indexOf('\n');
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    socket.on('close', () => {
      this.failure ??= new Error('connection closed');
      this.wake();
    });
  }

  /** Connects in plaintext, or with implicit TLS when `secure` is given (certificate checked). */
  static connect(host: string, port: number, timeoutMs: number, secure?: ClientTls): Promise<LineConnection> {
    return new Promise((resolve, reject) => {
      const socket = secure
        ? tls.connect({ host, port, ca: secure.ca, servername: secure.servername ?? serverName(host) })
        : net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(new LineConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** The PROXY protocol (v1) line naming this connection's own ends (what HAProxy would send for it). */
  proxyHeader(): string {
    const s = this.socket;
    const family = net.isIPv6(s.localAddress ?? '') ? 'TCP6' : 'TCP4';
    return `PROXY ${family} ${s.localAddress} ${s.remoteAddress} ${s.localPort} ${s.remotePort}\r\n`;
  }

  /** Connects to a Unix socket (HAProxy's runtime API). */
  static connectSocket(socketPath: string, timeoutMs: number): Promise<LineConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: socketPath });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${socketPath} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new LineConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Upgrades the connection after a STARTTLS/STLS the server accepted; the certificate is checked. */
  startTls(host: string, secure: ClientTls, timeoutMs: number): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const upgraded = tls.connect({
        socket: plain,
        ca: secure.ca,
        servername: secure.servername ?? serverName(host),
        rejectUnauthorized: secure.verify !== false,
      });
      const timer = setTimeout(() => {
        upgraded.destroy();
        reject(new Error(`TLS handshake with ${host} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      upgraded.once('secureConnect', () => {
        clearTimeout(timer);
        this.socket = upgraded;
        this.attach(upgraded);
        resolve();
      });
      upgraded.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Next line from the server. */
  async line(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift() as string;
  }

  /** An SMTP reply: lines until one with a space after the code. */
  async smtpReply(timeoutMs: number): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) return { code: Number(line.slice(0, 3)), text: lines.join('\n') };
    }
  }

  send(data: string): void {
    this.socket.write(data);
  }

  /** Everything the server sends until it closes the connection (HAProxy's runtime API). */
  async readToEnd(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.failure) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no end of answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return [...this.lines, this.buffer].join('\n');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** SNI is for names only; an IP address is checked against the certificate's IP entries. */
function serverName(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}
