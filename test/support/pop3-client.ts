import net from 'node:net';

/** A small POP3 client for tests (RFC 1939), binary-safe for RETR. */
export class Pop3Client {
  private buffer = Buffer.alloc(0);
  private pending?: { multiline: boolean; resolve: (r: Buffer) => void; reject: (e: Error) => void };

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.tryComplete();
    });
    socket.on('error', (err) => this.pending?.reject(err));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<{ client: Pop3Client; greeting: string }> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new Pop3Client(socket);
    const greeting = (await client.read(false)).toString();
    return { client, greeting };
  }

  private tryComplete() {
    if (!this.pending) return;
    const firstEnd = this.buffer.indexOf('\r\n');
    if (firstEnd < 0) return;
    const first = this.buffer.subarray(0, firstEnd).toString();
    const multi = this.pending.multiline && first.startsWith('+OK');
    let end = firstEnd + 2;
    if (multi) {
      const terminator = this.buffer.indexOf('\r\n.\r\n', firstEnd);
      if (terminator < 0) return;
      end = terminator + 5;
    }
    const response = this.buffer.subarray(0, end);
    this.buffer = this.buffer.subarray(end);
    const { resolve } = this.pending;
    this.pending = undefined;
    resolve(response);
  }

  private read(multiline: boolean): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending = { multiline, resolve, reject };
      this.tryComplete();
    });
  }

  /** Sends a command; returns the status line (single-line commands). */
  async command(line: string): Promise<string> {
    const response = this.read(false);
    this.socket.write(`${line}\r\n`);
    return (await response).toString().trimEnd();
  }

  /** Sends a multi-line command; returns status line and the dot-unstuffed body. */
  async multiline(line: string): Promise<{ status: string; body: Buffer }> {
    const response = this.read(true);
    this.socket.write(`${line}\r\n`);
    const raw = await response;
    const firstEnd = raw.indexOf('\r\n');
    const status = raw.subarray(0, firstEnd).toString();
    if (!status.startsWith('+OK')) return { status, body: Buffer.alloc(0) };
    const body = raw
      .subarray(firstEnd + 2, raw.length - 3)
      .toString('latin1')
      .replace(/(^|\r\n)\.\./g, '$1.');
    return { status, body: Buffer.from(body, 'latin1') };
  }

  async login(user: string, password: string): Promise<void> {
    const u = await this.command(`USER ${user}`);
    const p = await this.command(`PASS ${password}`);
    if (!u.startsWith('+OK') || !p.startsWith('+OK')) throw new Error(`POP3 login failed: ${u} / ${p}`);
  }

  destroy() {
    this.socket.destroy();
  }
}
