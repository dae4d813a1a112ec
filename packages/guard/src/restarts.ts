/** This many restarts of one instance within CRASH_LOOP_WINDOW_MS is a crash loop (alerted). */
export const CRASH_LOOP_RESTARTS = 3;
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;

/**
 * Counts restarts of frontend instances from the process start time their health
 * endpoints report: a different start time than last seen is one restart. The
 * supervisor or systemd brings a crashed process back within seconds, often
 * between two probes, so probing alone would not notice a process that keeps dying.
 */
export class RestartCounter {
  private readonly lastStart = new Map<string, string>();
  private readonly restarts = new Map<string, number[]>();

  constructor(
    private readonly loopRestarts = CRASH_LOOP_RESTARTS,
    private readonly windowMs = CRASH_LOOP_WINDOW_MS,
  ) {}

  /** Records the start time `instance` reports now; true when it differs from the last one seen (a restart). */
  observe(instance: string, startedAt: string, now: number): boolean {
    const previous = this.lastStart.get(instance);
    this.lastStart.set(instance, startedAt);
    if (previous === undefined || previous === startedAt) return false;
    const times = this.restarts.get(instance) ?? [];
    times.push(now);
    this.restarts.set(instance, times);
    return true;
  }

  /** Restarts per instance within the window ending at `now`. */
  recent(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [instance, times] of this.restarts) {
      const kept = times.filter((t) => t > now - this.windowMs);
      this.restarts.set(instance, kept);
      if (kept.length) out[instance] = kept.length;
    }
    return out;
  }

  /** Instances that restarted at least `loopRestarts` times within the window. */
  looping(now: number): string[] {
    return Object.entries(this.recent(now))
      .filter(([, count]) => count >= this.loopRestarts)
      .map(([instance]) => instance);
  }
}

/** The start time a Kura health endpoint reports (any status code: a sick instance still has one). */
export async function reportedStart(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { startedAt?: unknown };
    return typeof body.startedAt === 'string' ? body.startedAt : undefined;
  } catch {
    // Unreachable: the instance's own probe reports that.
    return undefined;
  }
}
