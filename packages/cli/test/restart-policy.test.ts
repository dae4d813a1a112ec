import { describe, expect, it } from 'vitest';
import { RestartTracker } from '../src/stack/restart-policy.js';

const policy = { initialDelayMs: 1_000, maxDelayMs: 8_000, stableAfterMs: 60_000, crashLoopRestarts: 4, crashLoopWindowMs: 600_000 };

describe('restart back-off', () => {
  it('doubles the delay for crashes in a row up to the maximum', () => {
    const t = new RestartTracker(policy);
    t.started(0);
    const delays = [1, 2, 3, 4, 5].map((i) => t.crashed(i * 1_000).delayMs);
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(t.restarts).toBe(5);
  });

  it('starts from the initial delay again after a stable run', () => {
    const t = new RestartTracker(policy);
    t.started(0);
    t.crashed(1_000);
    t.started(2_000);
    expect(t.crashed(3_000).delayMs).toBe(2_000);
    t.started(4_000);
    const afterStable = t.crashed(4_000 + 60_000);
    expect(afterStable).toMatchObject({ delayMs: 1_000, consecutive: 1, restarts: 3 });
  });

  it('calls it a crash loop when enough restarts fall into the window, and not when they are spread out', () => {
    const loop = new RestartTracker(policy);
    const verdicts = [1, 2, 3, 4].map((i) => loop.crashed(i * 10_000).crashLoop);
    expect(verdicts).toEqual([false, false, false, true]);
    const spread = new RestartTracker(policy);
    expect([0, 1, 2, 3].map((i) => spread.crashed(i * 300_000 + 1).crashLoop)).toEqual([false, false, false, false]);
  });
});
