import { type DrillResult, runDrill } from '@kura/drills';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { componentStatus, type HaTestStack, haTestConfig, startHaTestStack, waitForGuard } from '../support/ha-stack.js';
import { tempDataDir } from '../support/stack.js';

/** Drills on the high-availability stack's back end: the Redis primary and the data tier die (kill -9). */
describe('back-end failover drills (kura up --ha)', () => {
  let ha: HaTestStack;

  beforeAll(async () => {
    ha = await startHaTestStack(await haTestConfig(tempDataDir('ha-back')));
    await waitForGuard(ha, (s) => s.overall === 'up', 60_000);
  }, 180_000);

  afterAll(async () => {
    await ha?.stop();
  });

  function report(result: DrillResult, extra: Record<string, unknown>) {
    console.log(`DRILL ${JSON.stringify({ ...result, ...extra })}`);
  }

  // Each drill starts from a whole stack, whatever the previous one left; each uses its own message prefix.
  beforeEach(async () => {
    await waitForGuard(ha, (s) => s.overall === 'up', 60_000);
  }, 70_000);

  it('the Redis primary dies: Sentinel promotes the replica, IMAP, POP3 and SMTP keep working, the status page shows it', async () => {
    let killedAt = 0;
    let detectedMs = 0;
    let clearedMs = 0;
    const result = await runDrill('redis', ha.config, {
      kill: async () => {
        await ha.kill('redis');
        killedAt = Date.now();
      },
      restore: () => ha.revive('redis'),
      duringOutage: async () => {
        // After the promotion Redis serves again, but without a replica: the guard reports it degraded.
        await waitForGuard(ha, (s) => componentStatus(s, 'redis') !== 'up', 30_000);
        detectedMs = Date.now() - killedAt;
      },
      afterRestore: async () => {
        // The old primary comes back as a replica of the new one (Sentinel notices a returning
        // primary on its 10-second INFO round, then the replica syncs); the incident clears.
        clearedMs = await waitForGuard(ha, (s) => componentStatus(s, 'redis') === 'up' && s.overall === 'up', 45_000);
      },
    });
    report(result, { detectedMs, clearedMs });
    // A real primary before, a different one after (not two unknowns that merely differ).
    expect(result.details.before).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(result.details.promoted).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(result.details.promoted).not.toBe(result.details.before);
    expect(result.recoveryMs).toBeLessThan(30_000);
    // Five acknowledged before the kill and at least one after the promotion: "nothing lost" is about real mail.
    expect(result.messagesAcknowledged).toBeGreaterThan(5);
    expect(result.messagesLost).toBe(0);
    expect(result.messagesDuplicated).toBe(0);
    expect(result.permanentFailures).toBe(0);
    expect(result.loginsAfterRecovery.attempted).toBe(15);
    expect(result.failuresAfterRecovery, JSON.stringify(result.loginsAfterRecovery)).toBe(0);
    expect(detectedMs).toBeLessThan(30_000);
  }, 150_000);

  it('the data tier dies and returns: SMTP answers 4xx meanwhile, IMAP fails fast, every acknowledged message is there exactly once', async () => {
    let killedAt = 0;
    let detectedMs = 0;
    let clearedMs = 0;
    const result = await runDrill('datatier', ha.config, {
      kill: async () => {
        await ha.kill('ferretdb');
        killedAt = Date.now();
      },
      restore: () => ha.revive('ferretdb'),
      duringOutage: async () => {
        await waitForGuard(ha, (s) => componentStatus(s, 'datatier') === 'down' && s.overall === 'down', 30_000);
        detectedMs = Date.now() - killedAt;
      },
      afterRestore: async () => {
        clearedMs = await waitForGuard(ha, (s) => s.overall === 'up', 30_000);
      },
    });
    report(result, { detectedMs, clearedMs });
    const during = result.details.smtpRepliesDuringOutage as Record<string, number>;
    const [imapAtOnce, imapLater] = result.details.imapDuringOutage as Array<{ answer: string; ms: number }>;
    // Temporary failures only: nothing is bounced.
    expect(
      Object.keys(during).every((code) => code === '0' || code.startsWith('4')),
      JSON.stringify(during),
    ).toBe(true);
    expect(
      Object.keys(during).some((code) => code.startsWith('4')),
      JSON.stringify(during),
    ).toBe(true);
    expect(result.permanentFailures).toBe(0);
    // Never a hang: a NO within seconds at once, an immediate BYE [UNAVAILABLE] once HAProxy has noticed.
    expect(imapAtOnce?.answer).toMatch(/^(A1 NO|\* BYE)/);
    expect(imapAtOnce?.ms).toBeLessThan(10_000);
    expect(imapLater?.answer).toMatch(/^\* BYE \[UNAVAILABLE\]/);
    expect(imapLater?.ms).toBeLessThan(1_000);
    expect(result.messagesAcknowledged).toBeGreaterThan(5);
    expect(result.messagesLost).toBe(0);
    expect(result.messagesDuplicated).toBe(0);
    expect(result.loginsAfterRecovery.attempted).toBe(15);
    expect(result.failuresAfterRecovery, JSON.stringify(result.loginsAfterRecovery)).toBe(0);
    expect(detectedMs).toBeLessThan(30_000);
  }, 240_000);
});
