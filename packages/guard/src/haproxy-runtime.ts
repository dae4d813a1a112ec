import { LineConnection } from './net-lines.js';

export interface ServerState {
  backend: string;
  server: string;
  /** HAProxy's status column: UP, DOWN, DRAIN, MAINT, "UP 1/2"… */
  status: string;
}

/** HAProxy's runtime API on its Unix socket (one command per connection). */
export class HaproxyRuntime {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = 3_000,
  ) {}

  async command(line: string): Promise<string> {
    const conn = await LineConnection.connectSocket(this.socketPath, this.timeoutMs);
    try {
      conn.send(`${line}\n`);
      return await conn.readToEnd(this.timeoutMs);
    } finally {
      conn.close();
    }
  }

  /** Every server of every backend with its state (from `show stat`). */
  async servers(): Promise<ServerState[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.split('\n').filter((l) => l.trim());
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const at = (name: string) => columns.indexOf(name);
    return rows
      .map((row) => row.split(','))
      .filter((cells) => cells[at('svname')] !== 'FRONTEND' && cells[at('svname')] !== 'BACKEND')
      .map((cells) => ({ backend: cells[at('pxname')] ?? '', server: cells[at('svname')] ?? '', status: cells[at('status')] ?? '' }));
  }

  async setState(backend: string, server: string, state: 'ready' | 'drain' | 'maint'): Promise<void> {
    const answer = (await this.command(`set server ${backend}/${server} state ${state}`)).trim();
    if (answer) throw new Error(`HAProxy refused "set server ${backend}/${server} state ${state}": ${answer}`);
  }
}
