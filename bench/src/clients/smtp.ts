import net from 'node:net';

/**
 * A minimal SMTP client for load generation: one connection, one transaction
 * after another. Messages must already be transparent (no line starts with a
 * dot), which the bench's message generator guarantees.
 */
export class SmtpConnection {
  private readonly socket: net.Socket;
  private buffer = '';
  private waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failure = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('SMTP connection closed')));
  }

  static async open(port: number, host = '127.0.0.1'): Promise<SmtpConnection> {
    const socket = net.connect({ host, port, noDelay: true });
    const connection = new SmtpConnection(socket);
    const greeting = connection.reply();
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    expect(await greeting, 220, 'greeting');
    expect(await connection.command('EHLO loadgen.bench.test'), 250, 'EHLO');
    return connection;
  }

  /** One transaction; resolves with the final reply line to DATA. */
  async send(from: string, to: string, message: Buffer): Promise<string> {
    expect(await this.command(`MAIL FROM:<${from}> SIZE=${message.length}`), 250, 'MAIL FROM');
    expect(await this.command(`RCPT TO:<${to}>`), 250, 'RCPT TO');
    expect(await this.command('DATA'), 354, 'DATA');
    const reply = this.reply(300_000);
    this.socket.write(message);
    this.socket.write(message.subarray(-2).toString() === '\r\n' ? '.\r\n' : '\r\n.\r\n');
    const final = await reply;
    expect(final, 250, 'end of DATA');
    return final;
  }

  async close(): Promise<void> {
    if (!this.failure) await this.command('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  private command(line: string): Promise<string> {
    const reply = this.reply();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  private reply(timeoutMs = 60_000): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SMTP reply timed out')), timeoutMs);
      this.waiting.push({
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  private onData(chunk: string) {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\r\n');
    while (end >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      // Only the last line of a multi-line reply ("250 " rather than "250-") completes it.
      if (/^\d{3}( |$)/.test(line)) this.waiting.shift()?.resolve(line);
      end = this.buffer.indexOf('\r\n');
    }
  }
}

function expect(line: string, code: number, step: string) {
  if (!line.startsWith(String(code))) throw new Error(`SMTP ${step}: expected ${code}, got "${line}"`);
}
