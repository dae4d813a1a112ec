/** How the local supervisor brings back a service that died on its own. */
export interface RestartPolicy {
  /** Delay before the first restart after a crash. */
  initialDelayMs: number;
  /** The delay doubles with every crash in a row, up to this. */
  maxDelayMs: number;
  /** A service that stayed up this long counts as healthy again: the next crash starts from the initial delay. */
  stableAfterMs: number;
  /** This many restarts within `crashLoopWindowMs` is reported as a crash loop. */
  crashLoopRestarts: number;
  crashLoopWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  crashLoopRestarts: 5,
  crashLoopWindowMs: 10 * 60_000,
};

/** What the supervisor reports about one crash of a service. */
export interface CrashReport {
  service: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Restarts of this service since the stack started, this one included. */
  restarts: number;
  /** Crashes in a row without a stable run in between. */
  consecutive: number;
  delayMs: number;
  /** True when `crashLoopRestarts` restarts fell within `crashLoopWindowMs`. */
  crashLoop: boolean;
}

/**
 * The restart bookkeeping of one service: exponential back-off for crashes in a row,
 * reset after a stable run, and a sliding window that recognises a crash loop.
 */
export class RestartTracker {
  private consecutive = 0;
  private total = 0;
  private readonly recent: number[] = [];
  private upSince = 0;

  constructor(private readonly policy: RestartPolicy) {}

  get restarts(): number {
    return this.total;
  }

  /** The service answered its readiness check at `now`. */
  started(now: number): void {
    this.upSince = now;
  }

  /** The service died at `now`: how long to wait before starting it again, and whether it loops. */
  crashed(now: number): { delayMs: number; consecutive: number; restarts: number; crashLoop: boolean } {
    if (this.upSince && now - this.upSince >= this.policy.stableAfterMs) this.consecutive = 0;
    this.consecutive += 1;
    this.total += 1;
    this.recent.push(now);
    while (this.recent.length && (this.recent[0] ?? now) <= now - this.policy.crashLoopWindowMs) this.recent.shift();
    const delayMs = Math.min(this.policy.initialDelayMs * 2 ** (this.consecutive - 1), this.policy.maxDelayMs);
    return {
      delayMs,
      consecutive: this.consecutive,
      restarts: this.total,
      crashLoop: this.recent.length >= this.policy.crashLoopRestarts,
    };
  }
}
