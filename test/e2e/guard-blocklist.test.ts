import fs from 'node:fs';
import { waitUntil } from '@kura/cli';
import type { KuraConfig } from '@kura/config';
import { runGuard } from '@kura/guard';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSink } from '../support/alert-sinks.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { TestDnsServer } from '../support/dns-server.js';
import { freePorts, tempDataDir, testConfig } from '../support/stack.js';

const LISTED_IP = '198.51.100.2';
const CLEAN_IP = '198.51.100.3';
const OWN_DOMAIN = 'campus.example';
const IP_ZONE = 'bl.kura.test';
const DOMAIN_ZONE = 'dbl.kura.test';
const LISTED_NAME = `2.100.51.198.${IP_ZONE}`;

/**
 * The guard's own-blocklist watch against a DNS server on loopback: a listing
 * raises the metric, an alert and a row on the status page (English and
 * Japanese, in Chromium); delisting clears them; a dead DNS server is
 * "unknown", never "listed". The guard runs alone here (its other probes find
 * nothing and say so), so the test costs no stack.
 */
describe('guard: own IPs and domains in DNS blocklists', () => {
  const dns = new TestDnsServer({ A: { [LISTED_NAME]: ['127.0.0.2'] } });
  let hook: Awaited<ReturnType<typeof webhookSink>>;
  let guard: Awaited<ReturnType<typeof runGuard>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let config: KuraConfig;
  let dataDir: string;

  const metrics = async () => (await fetch(`http://${config.host}:${config.guard.port}/metrics`)).text();
  const sample = (body: string, series: string) => {
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const listed = (target: string, zone: string, kind = 'ip') =>
    `kura_guard_blocklist_listed{kind="${kind}",target="${target}",zone="${zone}"}`;
  const blocklistAlerts = (event: string) =>
    hook.bodies.filter((b) => b.event === event && (b.component as { id?: string } | undefined)?.id === 'blocklist');
  /** The state a status page row shows, read in the browser (the page refreshes itself). */
  const rowState = (target: string, zone: string) =>
    page.locator(`#blocklists tr[data-target="${target}"][data-zone="${zone}"]`).getAttribute('data-state', { timeout: 10_000 });

  beforeAll(async () => {
    await dns.start();
    hook = await webhookSink();
    dataDir = tempDataDir('guard-blocklist');
    const free = await freePorts(19);
    const [guardPort, ...ha] = free as [number, ...number[]];
    const p = (i: number) => ha[i] as number;
    config = await testConfig(dataDir, {
      guard: {
        port: guardPort,
        probeIntervalMs: 2_000,
        probeTimeoutMs: 500,
        canaryIntervalMs: 600_000,
        failover: { enabled: false },
        alerts: { webhook: hook.url },
        blocklist: {
          ips: [LISTED_IP, CLEAN_IP],
          domains: [OWN_DOMAIN],
          ipZones: [IP_ZONE],
          domainZones: [DOMAIN_ZONE],
          intervalMs: 1_000,
          dnsServers: [dns.address],
          dnsTimeoutMs: 300,
        },
      },
      // Instances on free ports where nothing listens: the guard finds them down, which this test ignores.
      ha: {
        wildduck: [
          { imap: p(0), pop3: p(1), api: p(2), health: p(3) },
          { imap: p(4), pop3: p(5), api: p(6), health: p(7) },
        ],
        haraka: [
          { smtp: p(8), health: p(9) },
          { smtp: p(10), health: p(11) },
        ],
        submission: [
          { submission: p(12), submissions: p(13), health: p(14) },
          { submission: p(15), submissions: p(16), health: p(17) },
        ],
      },
    });
    guard = await runGuard(config);
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await guard?.stop();
    await hook?.close();
    await dns.stop();
    if (dataDir && !process.env.KEEPDATA) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('detects a listed own IP: metric, alert and status page in English and Japanese', async () => {
    await waitUntil(async () => {
      const body = await metrics();
      expect(sample(body, listed(LISTED_IP, IP_ZONE))).toBe(1);
      expect(sample(body, listed(CLEAN_IP, IP_ZONE))).toBe(0);
      expect(sample(body, listed(OWN_DOMAIN, DOMAIN_ZONE, 'domain'))).toBe(0);
    }, 15_000);
    expect(dns.queries).toContain(`A ${LISTED_NAME}`);
    expect(dns.queries).toContain(`A ${OWN_DOMAIN}.${DOMAIN_ZONE}`);
    await waitUntil(async () => expect(blocklistAlerts('incident.opened').length).toBe(1), 10_000);
    expect(String(blocklistAlerts('incident.opened')[0]?.text)).toContain(`${LISTED_IP} in ${IP_ZONE}`);

    await page.setExtraHTTPHeaders({ 'Accept-Language': 'en-US,en;q=0.9' });
    await page.goto(guard.url);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await rowState(LISTED_IP, IP_ZONE)).toBe('listed');
    expect(await rowState(CLEAN_IP, IP_ZONE)).toBe('clear');
    const row = page.locator(`#blocklists tr[data-target="${LISTED_IP}"]`);
    expect(await row.textContent()).toContain('Listed');
    expect(await row.textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(await page.locator('[data-component="blocklist"]').textContent()).toContain('Outgoing mail reputation (blocklists)');
    await page.screenshot({ path: artifactPath('status-page-blocklist-en.png'), fullPage: true });

    await page.setExtraHTTPHeaders({ 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.3' });
    await page.goto(guard.url);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.locator('#blocklists').locator('xpath=preceding-sibling::h2[1]').textContent()).toBe(
      '自サーバーのブロックリスト掲載状況',
    );
    expect(await page.locator(`#blocklists tr[data-target="${LISTED_IP}"]`).textContent()).toContain('掲載あり');
    expect(await page.locator('[data-component="blocklist"]').textContent()).toContain('送信メールの評判 (ブロックリスト)');
    expect(await page.locator('h2').first().textContent()).toBe('発生中');
    await page.screenshot({ path: artifactPath('status-page-blocklist-ja.png'), fullPage: true });
    // The page keeps its language when it refreshes itself.
    await page.waitForResponse((r) => r.url().includes('status/fragment?lang=ja'), { timeout: 10_000 });
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.locator('[data-component="blocklist"]').textContent()).toContain('送信メールの評判');
  });

  it('clears when the IP is delisted', async () => {
    delete dns.zone.A?.[LISTED_NAME];
    await waitUntil(async () => expect(sample(await metrics(), listed(LISTED_IP, IP_ZONE))).toBe(0), 15_000);
    await waitUntil(async () => expect(blocklistAlerts('incident.resolved').length).toBe(1), 10_000);
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'en' });
    await page.goto(guard.url);
    expect(await rowState(LISTED_IP, IP_ZONE)).toBe('clear');
    expect(await page.locator('[data-component="blocklist"]').getAttribute('class')).toContain('up');
  });

  it('calls a dead DNS server "unknown", never "listed"', async () => {
    // Listed again, but nobody can ask: the guard must not claim either way.
    await dns.stop();
    dns.zone.A = { [LISTED_NAME]: ['127.0.0.2'] };
    const openedBefore = blocklistAlerts('incident.opened').length;
    await waitUntil(async () => {
      const body = await metrics();
      expect(sample(body, listed(LISTED_IP, IP_ZONE))).toBeUndefined();
      expect(sample(body, listed(CLEAN_IP, IP_ZONE))).toBeUndefined();
      expect(sample(body, 'kura_guard_component_state{component="blocklist",state="unknown"}')).toBe(1);
    }, 15_000);
    await page.goto(guard.url);
    expect(await rowState(LISTED_IP, IP_ZONE)).toBe('unknown');
    expect(await page.locator(`#blocklists tr[data-target="${LISTED_IP}"]`).textContent()).toContain('Unknown (lookup failed)');
    expect(blocklistAlerts('incident.opened').length).toBe(openedBefore);
    await dns.start();
  });
});
