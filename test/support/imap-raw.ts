import net from 'node:net';

/**
 * A minimal IMAP client that sends commands exactly as written, for tests that
 * must control the wire form (CHARSET, literals) and read the server's answer
 * untouched. Strings given as Buffers are sent as synchronizing literals.
 */
export class RawImap {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private tag = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(host: string, port: number): Promise<RawImap> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawImap(socket);
    await client.readLine();
    return client;
  }

  private async readLine(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      if (this.socket.destroyed) throw new Error('IMAP connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends one command; returns its untagged lines and the tagged status line. */
  async command(...parts: Array<string | Buffer>): Promise<{ untagged: string[]; status: string }> {
    const tag = `k${++this.tag}`;
    let pending = `${tag} `;
    for (const part of parts) {
      if (typeof part === 'string') {
        pending += part;
        continue;
      }
      this.socket.write(`${pending}{${part.length}}\r\n`);
      const cont = await this.readLine();
      if (!cont.startsWith('+')) throw new Error(`literal refused: ${cont}`);
      this.socket.write(part);
      pending = '';
    }
    this.socket.write(`${pending}\r\n`);
    const untagged: string[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line.startsWith(`${tag} `)) return { untagged, status: line.slice(tag.length + 1) };
      untagged.push(line);
    }
  }

  /** Runs a SEARCH or UID SEARCH; returns the numbers, or throws with the server's answer. */
  async search(...parts: Array<string | Buffer>): Promise<number[]> {
    const { untagged, status } = await this.command(...parts);
    if (!status.startsWith('OK')) throw new Error(`${parts.map(String).join('')}: ${status}`);
    return untagged
      .filter((line) => /^\* SEARCH\b/.test(line))
      .flatMap((line) => line.slice('* SEARCH'.length).trim().split(/\s+/).filter(Boolean).map(Number))
      .sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    if (!this.socket.destroyed) await this.command('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }
}
