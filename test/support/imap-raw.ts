import net from 'node:net';

/** What one tagged command got back: the untagged lines before it and the tagged completion. */
export interface ImapAnswer {
  /** `* …` and `+ …` lines received while the command ran, without CRLF. */
  untagged: string[];
  /** The tagged completion line, e.g. `a1 OK SEARCH completed`; undefined when the connection closed first. */
  tagged?: string;
  /** OK, NO or BAD from the tagged line; `closed` when the server hung up before answering. */
  status: 'OK' | 'NO' | 'BAD' | 'closed';
}

/**
 * A raw IMAP session for conformance tests: sends exactly the bytes it is given (odd and broken
 * commands included) and collects the answer. Synchronizing literals (`{n}\r\n`) wait for the
 * server's `+` continuation (or a tagged refusal) before the literal's bytes are sent.
 */
export class RawImap {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private tagCounter = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      let end = this.buffer.indexOf('\r\n');
      while (end >= 0) {
        this.lines.push(this.buffer.subarray(0, end).toString('latin1'));
        this.buffer = this.buffer.subarray(end + 2);
        end = this.buffer.indexOf('\r\n');
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<{ imap: RawImap; greeting: string }> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const imap = new RawImap(socket);
    const greeting = await imap.nextLine(10_000);
    return { imap, greeting: greeting ?? '' };
  }

  /** Connects, logs in and (unless `mailbox` is null) selects a mailbox; throws when either is refused. */
  static async session(port: number, user: string, pass: string, mailbox: string | null = 'INBOX'): Promise<RawImap> {
    const { imap } = await RawImap.connect(port);
    const login = await imap.run(`LOGIN ${quote(user)} ${quote(pass)}`);
    if (login.status !== 'OK') throw new Error(`LOGIN failed: ${login.tagged}`);
    if (mailbox !== null) {
      const select = await imap.run(`SELECT ${quote(mailbox)}`);
      if (select.status !== 'OK') throw new Error(`SELECT failed: ${select.tagged}`);
    }
    return imap;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next complete line, or undefined when the connection closed or `timeoutMs` passed. */
  async nextLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.lines.shift();
  }

  /**
   * Sends `command` (without tag and CRLF) under a fresh tag and waits for the tagged answer.
   * `{n}` literals in the command are sent after the server's continuation request.
   */
  async run(command: string | Buffer, timeoutMs = 15_000): Promise<ImapAnswer> {
    const tag = `k${++this.tagCounter}`;
    const bytes = Buffer.concat([
      Buffer.from(`${tag} `),
      Buffer.isBuffer(command) ? command : Buffer.from(command, 'latin1'),
      Buffer.from('\r\n'),
    ]);
    return this.send(tag, bytes, timeoutMs);
  }

  /** Sends raw bytes (may hold several pipelined commands) and waits for the tagged answer of `tag`. */
  async send(tag: string, bytes: Buffer, timeoutMs = 15_000): Promise<ImapAnswer> {
    const untagged: string[] = [];
    const deadline = Date.now() + timeoutMs;
    const literal = /\{(\d+)\}\r\n/g;
    let from = 0;
    for (let match = literal.exec(bytes.toString('latin1')); match; match = literal.exec(bytes.toString('latin1'))) {
      const headEnd = match.index + match[0].length;
      this.socket.write(bytes.subarray(from, headEnd));
      from = headEnd;
      // Wait for "+ go ahead" (or a tagged refusal, which ends the command).
      for (;;) {
        const line = await this.nextLine(deadline - Date.now());
        if (line === undefined) return { untagged, status: 'closed' };
        untagged.push(line);
        if (line.startsWith('+')) break;
        const done = completion(tag, line);
        if (done) return { untagged: untagged.slice(0, -1), tagged: line, status: done };
      }
    }
    this.socket.write(bytes.subarray(from));
    for (;;) {
      const line = await this.nextLine(deadline - Date.now());
      if (line === undefined) return { untagged, status: 'closed' };
      const done = completion(tag, line);
      if (done) return { untagged, tagged: line, status: done };
      untagged.push(line);
    }
  }

  /** Runs a SEARCH or UID SEARCH (Buffers are sent as literals); the numbers it found, or throws with the server's answer. */
  async search(...parts: Array<string | Buffer>): Promise<number[]> {
    const bytes = Buffer.concat(
      parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.concat([Buffer.from(`{${p.length}}\r\n`), p]))),
    );
    const answer = await this.run(bytes);
    if (answer.status !== 'OK') throw new Error(`${parts.map(String).join('')}: ${answer.tagged ?? answer.status}`);
    return answer.untagged
      .filter((line) => /^\* SEARCH\b/.test(line))
      .flatMap((line) => line.slice('* SEARCH'.length).trim().split(/\s+/).filter(Boolean).map(Number))
      .sort((a, b) => a - b);
  }

  close(): void {
    this.socket.destroy();
  }
}

function completion(tag: string, line: string): ImapAnswer['status'] | undefined {
  const match = new RegExp(`^${tag} (OK|NO|BAD)\\b`, 'i').exec(line);
  return match ? (match[1]?.toUpperCase() as 'OK' | 'NO' | 'BAD') : undefined;
}

export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
