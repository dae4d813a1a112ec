import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';

const sample = (body: string, series: string) => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('guard metrics', () => {
  it('exports a component as an up/state pair, not an enum in a float', async () => {
    const m = createMetrics();
    m.setStatus('imap', 'degraded');
    let body = await m.registry.metrics();
    expect(sample(body, 'kura_guard_component_up{component="imap"}')).toBe(1);
    expect(sample(body, 'kura_guard_component_state{component="imap",state="degraded"}')).toBe(1);
    expect(sample(body, 'kura_guard_component_state{component="imap",state="up"}')).toBe(0);
    m.setStatus('imap', 'down');
    body = await m.registry.metrics();
    expect(sample(body, 'kura_guard_component_up{component="imap"}')).toBe(0);
    expect(sample(body, 'kura_guard_component_state{component="imap",state="down"}')).toBe(1);
    // Not checked yet: no up sample at all (unknown is not "down").
    m.setStatus('pop3', 'unknown');
    body = await m.registry.metrics();
    expect(sample(body, 'kura_guard_component_up{component="pop3"}')).toBeUndefined();
    expect(sample(body, 'kura_guard_component_state{component="pop3",state="unknown"}')).toBe(1);
  });

  it('counts canary rounds by result and stamps the last success', async () => {
    const m = createMetrics();
    m.canarySucceeded();
    m.canaryFailed();
    m.canarySucceeded();
    const body = await m.registry.metrics();
    expect(sample(body, 'kura_guard_canary_rounds_total{result="success"}')).toBe(2);
    expect(sample(body, 'kura_guard_canary_rounds_total{result="failure"}')).toBe(1);
    expect(Math.abs((sample(body, 'kura_guard_canary_last_success_timestamp_seconds') ?? 0) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('reads the newest complete snapshot at each scrape; none yet means no sample', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-guard-snap-'));
    try {
      const m = createMetrics({ snapshotDir: dir });
      const age = `kura_guard_snapshot_age_seconds{destination="${dir}"}`;
      expect(await m.registry.metrics()).not.toMatch(/^kura_guard_snapshot_age_seconds/m);
      const write = (id: string, finishedAt: string) => {
        fs.mkdirSync(path.join(dir, id));
        fs.writeFileSync(path.join(dir, id, 'manifest.json'), JSON.stringify({ id, finishedAt }));
      };
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      write('old', new Date(Date.now() - 86_400_000).toISOString());
      write('new', hourAgo);
      // A half-written one (no manifest) does not count.
      fs.mkdirSync(path.join(dir, '.tmp-x'));
      const body = await m.registry.metrics();
      expect(sample(body, `kura_guard_snapshot_last_success_timestamp_seconds{destination="${dir}"}`)).toBe(Date.parse(hourAgo) / 1000);
      expect(sample(body, age)).toBeGreaterThanOrEqual(3_600);
      expect(sample(body, age)).toBeLessThan(3_700);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every metric by the conventions', async () => {
    const m = createMetrics({ snapshotDir: os.tmpdir() });
    for (const metric of await m.registry.getMetricsAsJSON()) {
      expect(metric.name).toMatch(/^kura_guard_[a-z_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
      expect(metric.name).not.toMatch(/_status$/);
    }
  });
});
