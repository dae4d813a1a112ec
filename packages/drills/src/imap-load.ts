import { type ClientTls, imapflowTls } from '@kura/guard';
import { ImapFlow } from 'imapflow';

export interface ImapEndpoint {
  host: string;
  port: number;
  user: string;
  pass: string;
  /** STARTTLS before login (secured profile). */
  tls?: ClientTls;
}

interface Worker {
  lastOk: number;
  stopped: boolean;
}

/**
 * A small IMAP client load: `clients` sessions, each logging in, selecting
 * INBOX and fetching in a loop, reconnecting at once when its connection
 * breaks — what a mail app does. Records every failed login and command.
 */
export class ImapLoad {
  private readonly workers: Worker[] = [];
  private readonly loops: Array<Promise<void>> = [];
  readonly failures: Array<{ at: number; what: string; error: string }> = [];
  logins = 0;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly clients: number,
    private readonly pauseMs = 200,
  ) {}

  start(): void {
    for (let i = 0; i < this.clients; i++) {
      const worker: Worker = { lastOk: 0, stopped: false };
      this.workers.push(worker);
      this.loops.push(this.loop(worker));
    }
  }

  /** Resolves once every client has completed a command after `since`; returns when that happened. */
  async allWorkingSince(since: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.workers.every((w) => w.lastOk > since)) return Math.max(...this.workers.map((w) => w.lastOk));
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`not every IMAP client worked again within ${timeoutMs} ms`);
  }

  failuresSince(at: number) {
    return this.failures.filter((f) => f.at >= at);
  }

  async stop(): Promise<void> {
    for (const w of this.workers) w.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(worker: Worker): Promise<void> {
    while (!worker.stopped) {
      const client = new ImapFlow({
        host: this.endpoint.host,
        port: this.endpoint.port,
        secure: false,
        ...imapflowTls(this.endpoint.tls),
        auth: { user: this.endpoint.user, pass: this.endpoint.pass },
        logger: false,
        connectionTimeout: 5_000,
        greetingTimeout: 5_000,
        socketTimeout: 10_000,
        disableAutoIdle: true,
      });
      client.on('error', () => {});
      let stage = 'login';
      try {
        await client.connect();
        this.logins += 1;
        stage = 'select';
        await client.mailboxOpen('INBOX');
        worker.lastOk = Date.now();
        while (!worker.stopped && client.usable) {
          stage = 'fetch';
          const box = client.mailbox;
          if (box && typeof box === 'object' && box.exists > 0) await client.fetchOne('*', { flags: true, uid: true });
          else await client.noop();
          worker.lastOk = Date.now();
          await new Promise((r) => setTimeout(r, this.pauseMs));
        }
        if (!worker.stopped) throw new Error('connection closed');
      } catch (err) {
        if (!worker.stopped) this.failures.push({ at: Date.now(), what: stage, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.logout().catch(() => client.close());
      }
    }
  }
}
