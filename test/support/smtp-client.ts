import net from 'node:net';

export interface SmtpReply {
  code: number;
  /** Enhanced status code (e.g. 5.1.1) when the server sent one. */
  enhanced?: string;
  text: string;
}

/** A deliberately small SMTP client for tests: sends exactly the bytes it is given. */
export class SmtpClient {
  private buffer = '';
  private waiting: Array<(reply: SmtpReply) => void> = [];
  private lines: string[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
  }

  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<{ client: SmtpClient; greeting: SmtpReply }> {
    const socket = net.connect({ host, port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new SmtpClient(socket);
    const greeting = await client.reply();
    return { client, greeting };
  }

  private onData(chunk: string) {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\r\n');
    while (end >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.lines.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        const reply = parseReply(this.lines);
        this.lines = [];
        this.waiting.shift()?.(reply);
      }
      end = this.buffer.indexOf('\r\n');
    }
  }

  reply(timeoutMs = 30_000): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SMTP reply timed out')), timeoutMs);
      this.waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /** Sends one command line (CRLF added) and returns the reply. */
  command(line: string): Promise<SmtpReply> {
    const reply = this.reply();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** Writes raw bytes without waiting for a reply. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** DATA phase: dot-stuffs `message` (CRLF line endings expected) and returns the final reply. */
  async data(message: Buffer): Promise<SmtpReply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    // Like a real MTA, wait long for the reply to end-of-data (RFC 5321 suggests 10 minutes).
    const reply = this.reply(180_000);
    const text = message.toString('latin1');
    const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
    this.socket.write(Buffer.from(stuffed, 'latin1'));
    this.socket.write(stuffed.endsWith('\r\n') ? '.\r\n' : '\r\n.\r\n');
    return reply;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed || this.socket.readyState !== 'open') {
      this.socket.destroy();
      return;
    }
    const quit = this.reply(2_000).catch(() => undefined);
    this.socket.write('QUIT\r\n');
    await quit;
    this.socket.destroy();
  }
}

function parseReply(lines: string[]): SmtpReply {
  const code = Number(lines[lines.length - 1]?.slice(0, 3));
  const text = lines.map((l) => l.slice(4)).join('\n');
  const enhanced = /^([245]\.\d{1,3}\.\d{1,3}) /.exec(text)?.[1];
  return { code, enhanced, text };
}

export interface Envelope {
  from: string;
  to: string[];
  /** Extra MAIL FROM parameters, e.g. SMTPUTF8 BODY=8BITMIME. */
  mailParams?: string;
}

/** One whole SMTP transaction; returns every reply so tests can assert on each step. */
export async function sendMail(port: number, envelope: Envelope, message: Buffer) {
  const { client, greeting } = await SmtpClient.connect(port);
  if (greeting.code !== 220) {
    // Refused at connect (421, e.g. a concurrency limit): that reply is the outcome.
    await client.close();
    return { ehlo: greeting, mail: greeting, rcpts: envelope.to.map(() => greeting), data: undefined };
  }
  try {
    const ehlo = await client.command('EHLO test.example');
    const mail = await client.command(`MAIL FROM:<${envelope.from}>${envelope.mailParams ? ` ${envelope.mailParams}` : ''}`);
    const rcpts: SmtpReply[] = [];
    for (const to of envelope.to) rcpts.push(await client.command(`RCPT TO:<${to}>`));
    const data = rcpts.some((r) => r.code === 250) ? await client.data(message) : undefined;
    return { ehlo, mail, rcpts, data };
  } finally {
    await client.close();
  }
}
