import net from 'node:net';

export interface ImapResponse {
  /** The tagged status line, e.g. "a3 OK FETCH completed". */
  status: string;
  /** Bytes received for this command, literals included. */
  bytes: number;
  /** Untagged lines with their literals inlined (only when asked to collect). */
  lines: string[];
}

interface Pending {
  tag: string;
  collect: boolean;
  bytes: number;
  lines: string[];
  resolve: (r: ImapResponse) => void;
  reject: (e: Error) => void;
}

/**
 * A minimal IMAP client for load generation: it sends commands as written and
 * only parses what it must (lines, literals, tagged completion), so the bench
 * measures the server rather than a client library.
 */
export class ImapConnection {
  private readonly socket: net.Socket;
  private partial: Buffer[] = [];
  private literalLeft = 0;
  private current = '';
  private pending: Pending | undefined;
  private continuation: (() => void) | undefined;
  private greeting: ((line: string) => void) | undefined;
  private counter = 0;
  private failure: Error | undefined;
  /** Called for untagged lines that arrive while no command collects them (e.g. EXISTS during IDLE). */
  onUntagged: ((line: string) => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failure = err;
      this.pending?.reject(err);
      this.pending = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('IMAP connection closed')));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<ImapConnection> {
    const socket = net.connect({ host, port, noDelay: true });
    const connection = new ImapConnection(socket);
    await new Promise<void>((resolve, reject) => {
      connection.greeting = (line) => (line.startsWith('* OK') ? resolve() : reject(new Error(`IMAP greeting: ${line}`)));
      socket.once('error', reject);
    });
    return connection;
  }

  static async login(port: number, user: string, password: string, host = '127.0.0.1'): Promise<ImapConnection> {
    const connection = await ImapConnection.connect(port, host);
    const reply = await connection.command(`LOGIN ${quote(user)} ${quote(password)}`);
    if (!/^\S+ OK/.test(reply.status)) {
      connection.destroy();
      throw new Error(`IMAP login as ${user} failed: ${reply.status}`);
    }
    return connection;
  }

  command(text: string, options: { collect?: boolean } = {}): Promise<ImapResponse> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('one command at a time'));
    this.counter += 1;
    const tag = `b${this.counter}`;
    return new Promise((resolve, reject) => {
      this.pending = { tag, collect: options.collect ?? false, bytes: 0, lines: [], resolve, reject };
      this.socket.write(`${tag} ${text}\r\n`);
    });
  }

  /** Enters IDLE; resolves once the server confirmed with a continuation (wrapped: a bare promise would be awaited). */
  async idle(): Promise<{ done: Promise<ImapResponse> }> {
    const ready = new Promise<void>((resolve) => {
      this.continuation = resolve;
    });
    const done = this.command('IDLE');
    await Promise.race([ready, done]);
    return { done };
  }

  /** Ends IDLE; `idling` is what idle() returned. */
  async endIdle(idling: { done: Promise<ImapResponse> }): Promise<ImapResponse> {
    this.socket.write('DONE\r\n');
    return idling.done;
  }

  async logout(): Promise<void> {
    await this.command('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }

  destroy() {
    this.socket.destroy();
  }

  private onData(chunk: Buffer) {
    if (this.pending) this.pending.bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - at);
        if (this.pending?.collect) this.current += chunk.toString('latin1', at, at + take);
        this.literalLeft -= take;
        at += take;
        continue;
      }
      const newline = chunk.indexOf(10, at);
      if (newline < 0) {
        this.partial.push(chunk.subarray(at));
        break;
      }
      this.partial.push(chunk.subarray(at, newline + 1));
      at = newline + 1;
      const line = Buffer.concat(this.partial).toString('latin1');
      this.partial = [];
      this.onLine(line);
    }
  }

  private onLine(line: string) {
    const literal = /\{(\d+)\+?\}\r\n$/.exec(line);
    if (literal) {
      if (this.pending?.collect) this.current += line;
      this.literalLeft = Number(literal[1]);
      return;
    }
    const whole = this.current + line.replace(/\r?\n$/, '');
    this.current = '';
    if (this.greeting) {
      const greet = this.greeting;
      this.greeting = undefined;
      greet(whole);
      return;
    }
    const pending = this.pending;
    if (whole.startsWith('+') && this.continuation) {
      const go = this.continuation;
      this.continuation = undefined;
      go();
      return;
    }
    if (pending && whole.startsWith(`${pending.tag} `)) {
      this.pending = undefined;
      pending.resolve({ status: whole, bytes: pending.bytes, lines: pending.lines });
    } else if (pending?.collect) {
      pending.lines.push(whole);
    } else if (whole.startsWith('* ')) {
      this.onUntagged?.(whole);
    }
  }
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
