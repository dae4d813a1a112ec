import { type DrillResult, runDrill } from '@kura/guard';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchChromium } from '../support/browser.js';
import { componentStatus, type HaTestStack, haTestConfig, logTail, startHaTestStack, waitForGuard } from '../support/ha-stack.js';
import { tempDataDir } from '../support/stack.js';

/**
 * Drills on the high-availability stack's frontends (kill -9 of one WildDuck,
 * one Haraka), with the guard's status page watched in headless chromium.
 */
describe('frontend failover drills (kura up --ha)', () => {
  let ha: HaTestStack;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    ha = await startHaTestStack(await haTestConfig(tempDataDir('ha-front')));
    await waitForGuard(ha, (s) => s.overall === 'up', 60_000);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(ha.guardUrl);
    await page.locator('#banner[data-status="up"]').waitFor({ timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ha?.stop();
  });

  /** Waits until the open page (never reloaded) shows `status` for a component row. */
  async function pageShows(title: string, state: string) {
    await page.locator('li.row', { hasText: title }).locator('.state', { hasText: state }).first().waitFor({ timeout: 30_000 });
  }

  function report(result: DrillResult, extra: Record<string, unknown>) {
    console.log(`DRILL ${JSON.stringify({ ...result, ...extra })}`);
  }

  it('one WildDuck dies under IMAP load: clients are back within seconds, no login fails afterwards, the page says so by itself', async () => {
    let detectedMs = 0;
    let clearedMs = 0;
    let killedAt = 0;
    const result = await runDrill('wildduck', ha.config, {
      kill: () => ha.kill('wildduck-1').then(() => void (killedAt = Date.now())),
      restore: () => ha.revive('wildduck-1'),
      duringOutage: async () => {
        await waitForGuard(ha, (s) => componentStatus(s, 'wildduck-1') === 'down', 30_000);
        detectedMs = Date.now() - killedAt;
        await page.locator('#banner[data-status="degraded"]').waitFor({ timeout: 30_000 });
        await page.locator('details summary').click();
        await pageShows('WildDuck instance 1', 'Down');
        await page.screenshot({ path: artifactPath('status-page-wildduck-down.png'), fullPage: true });
      },
      afterRestore: async () => {
        clearedMs = await waitForGuard(ha, (s) => componentStatus(s, 'wildduck-1') === 'up' && s.overall === 'up', 30_000);
        await page.locator('#banner[data-status="up"]').waitFor({ timeout: 30_000 });
        await page.screenshot({ path: artifactPath('status-page-recovered.png'), fullPage: true });
      },
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nhaproxy log:\n${logTail(ha.config, 'haproxy')}`);
    });
    report(result, { detectedMs, clearedMs });
    expect(result.recoveryMs).toBeLessThan(10_000);
    expect(result.failuresAfterRecovery, JSON.stringify(result.details)).toBe(0);
    expect(detectedMs).toBeLessThan(30_000);

    // The incident is in the history, resolved, and the page lists it.
    const history = page.locator('#history li', { hasText: 'WildDuck instance 1' });
    await history.first().waitFor({ timeout: 10_000 });
    expect(await history.first().textContent()).toContain('Resolved');
    // Phone-readable: nothing wider than the viewport; no asset from anywhere but the guard.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(requests.filter((url) => !url.startsWith(ha.guardUrl))).toEqual([]);
  }, 150_000);

  it('one Haraka dies during a delivery stream: zero acknowledged mail lost, senders retry through the other', async () => {
    let detectedMs = 0;
    let clearedMs = 0;
    let killedAt = 0;
    const result = await runDrill('haraka', ha.config, {
      kill: () => ha.kill('haraka-1').then(() => void (killedAt = Date.now())),
      restore: () => ha.revive('haraka-1'),
      duringOutage: async () => {
        await waitForGuard(ha, (s) => componentStatus(s, 'haraka-1') === 'down', 30_000);
        detectedMs = Date.now() - killedAt;
        await page.locator('#banner[data-status="degraded"]').waitFor({ timeout: 30_000 });
      },
      afterRestore: async () => {
        clearedMs = await waitForGuard(ha, (s) => componentStatus(s, 'haraka-1') === 'up' && s.overall === 'up', 30_000);
        await page.locator('#banner[data-status="up"]').waitFor({ timeout: 30_000 });
      },
    });
    report(result, { detectedMs, clearedMs });
    expect(result.messagesAcknowledged).toBeGreaterThan(10);
    expect(result.messagesLost).toBe(0);
    expect(result.permanentFailures).toBe(0);
    expect(detectedMs).toBeLessThan(30_000);
  }, 150_000);
});
