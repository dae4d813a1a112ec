import net from 'node:net';

const TERMINATOR = Buffer.from('\r\n.\r\n');

/** A minimal POP3 client for load generation: counts bytes, does not keep message bodies. */
export class Pop3Connection {
  private readonly socket: net.Socket;
  private tail = Buffer.alloc(0);
  private multiline = false;
  private firstLine = '';
  private bytes = 0;
  private waiter: { resolve: (r: { status: string; bytes: number }) => void; reject: (e: Error) => void } | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.waiter?.reject(err));
    socket.on('close', () => this.waiter?.reject(new Error('POP3 connection closed')));
  }

  static async login(port: number, user: string, password: string, host = '127.0.0.1'): Promise<Pop3Connection> {
    const connection = new Pop3Connection(net.connect({ host, port, noDelay: true }));
    const greeting = await connection.await(false);
    if (!greeting.status.startsWith('+OK')) throw new Error(`POP3 greeting: ${greeting.status}`);
    for (const line of [`USER ${user}`, `PASS ${password}`]) {
      const reply = await connection.command(line);
      if (!reply.status.startsWith('+OK')) throw new Error(`POP3 login as ${user} failed: ${reply.status}`);
    }
    return connection;
  }

  command(line: string, multiline = false): Promise<{ status: string; bytes: number }> {
    const done = this.await(multiline);
    this.socket.write(`${line}\r\n`);
    return done;
  }

  async quit(): Promise<void> {
    await this.command('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  private await(multiline: boolean): Promise<{ status: string; bytes: number }> {
    this.multiline = multiline;
    this.firstLine = '';
    this.bytes = 0;
    this.tail = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private onData(chunk: Buffer) {
    this.bytes += chunk.length;
    // Only the first line and the last few bytes matter: the body is counted, not kept.
    const seen = Buffer.concat([this.tail, chunk]);
    if (!this.firstLine) {
      const end = seen.indexOf('\r\n');
      if (end < 0) {
        this.tail = seen;
        return;
      }
      this.firstLine = seen.subarray(0, end).toString();
      if (!this.multiline || !this.firstLine.startsWith('+OK')) return this.finish();
      // A multi-line reply with an empty body ends right after the status line.
      if (seen.subarray(end).indexOf('\r\n.\r\n') === 0) return this.finish();
    }
    if (seen.subarray(-TERMINATOR.length).equals(TERMINATOR)) return this.finish();
    this.tail = seen.subarray(-TERMINATOR.length);
  }

  private finish() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ status: this.firstLine, bytes: this.bytes });
  }
}
