import { ImapConnection } from '../clients/imap.ts';
import type { BenchUser } from '../stacks/target.ts';

/**
 * Watches a user's INBOX over IMAP and records when each X-Bench-Id first
 * becomes visible. It IDLEs and fetches new UIDs when the server announces
 * EXISTS (and at least every `pollMs`, in case a notification is late), which
 * is what a mail client sees.
 */
export class VisibilityWatcher {
  readonly seenAt = new Map<string, number>();
  private connection: ImapConnection;
  /** Lowest UID not seen yet: WildDuck allocates UIDs before storing, so UIDs can appear out of order. */
  private floor = 1;
  private readonly seenUids = new Set<number>();
  private running = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private readonly pollMs: number;

  private constructor(connection: ImapConnection, pollMs: number) {
    this.connection = connection;
    this.pollMs = pollMs;
  }

  static async start(port: number, host: string, user: BenchUser, pollMs = 100): Promise<VisibilityWatcher> {
    const connection = await ImapConnection.login(port, user.login, user.password, host);
    const selected = await connection.command('SELECT INBOX', { collect: true });
    const watcher = new VisibilityWatcher(connection, pollMs);
    const uidNext = selected.lines.map((l) => /UIDNEXT (\d+)/.exec(l)?.[1]).find(Boolean);
    watcher.floor = uidNext ? Number(uidNext) : 1;
    connection.onUntagged = (line) => {
      if (/^\* \d+ EXISTS/.test(line)) watcher.wake?.();
    };
    watcher.loop = watcher.run();
    return watcher;
  }

  /**
   * Resolves once every id was seen, after `timeoutMs`, or when nothing new
   * has become visible for `stallMs` (mail that was accepted but never shows
   * up must not hold the bench for the whole timeout).
   */
  async waitFor(ids: string[], timeoutMs: number, stallMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = this.seenAt.size;
    let progressAt = Date.now();
    while (Date.now() < deadline && ids.some((id) => !this.seenAt.has(id))) {
      if (this.seenAt.size !== seen) {
        seen = this.seenAt.size;
        progressAt = Date.now();
      }
      if (Date.now() - progressAt > stallMs) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop.catch(() => undefined);
    await this.connection.logout();
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.fetchNew();
      if (!this.running) break;
      const idle = await this.connection.idle();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      await this.connection.endIdle(idle);
    }
  }

  private async fetchNew(): Promise<void> {
    await this.connection.command('NOOP');
    const reply = await this.connection.command(`UID FETCH ${this.floor}:* (UID BODY.PEEK[HEADER.FIELDS (X-BENCH-ID)])`, {
      collect: true,
    });
    const now = Date.now();
    for (const line of reply.lines) {
      const uid = Number(/UID (\d+)/.exec(line)?.[1] ?? 0);
      const id = /X-Bench-Id: (\S+)/i.exec(line)?.[1];
      // "n:*" also returns the newest message when there is nothing above n.
      if (uid < this.floor) continue;
      this.seenUids.add(uid);
      if (id && !this.seenAt.has(id)) this.seenAt.set(id, now);
    }
    while (this.seenUids.has(this.floor)) this.seenUids.delete(this.floor++);
  }
}
