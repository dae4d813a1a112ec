import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createGuardMetrics } from '@kura/guard';
import { registry as inboundRegistry } from '@kura/inbound/metrics';
import { outboundRegistry } from '@kura/outbound';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** deploy/prometheus and deploy/grafana: valid for the tools that read them, and about metrics Kura really exports. */
const DEPLOY = path.resolve(import.meta.dirname, '../../deploy');
const PROMETHEUS = path.join(DEPLOY, 'prometheus');

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS, encoding: 'utf8' });
  if (run.error)
    throw new Error(`promtool is missing (${run.error.message}): run \`bash scripts/kura.sh setup\`, which installs Debian's prometheus`);
  return run;
}

/** Every series name Kura exports (histograms as their _bucket/_sum/_count series). */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const guard = createGuardMetrics({ snapshotDir: DEPLOY });
  for (const registry of [guard.registry, inboundRegistry, outboundRegistry])
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    }
  return names;
}

const kuraNamesIn = (text: string) => new Set(text.match(/\bkura_[a-z0-9_]+/g) ?? []);

describe('deploy/prometheus', () => {
  it('promtool accepts the scrape config and the alert rules', () => {
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'kura-rules.yml'],
    ]) {
      const run = promtool(...args);
      expect(run.status, run.stdout + run.stderr).toBe(0);
    }
  });

  it('the alert rules fire as their unit tests say (promtool test rules)', () => {
    const run = promtool('test', 'rules', 'kura-rules.test.yml');
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it('every rule refers to metrics Kura exports, and every alert says what to do', async () => {
    const exported = await exportedNames();
    const rules = parse(fs.readFileSync(path.join(PROMETHEUS, 'kura-rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { summary?: string; description?: string } }> }>;
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(5);
    for (const rule of all) {
      for (const name of kuraNamesIn(rule.expr)) expect(exported, `${rule.alert}: ${name}`).toContain(name);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
    }
  });
});

describe('deploy/grafana/kura.json', () => {
  it('is a dashboard whose every query uses metrics Kura exports', async () => {
    const exported = await exportedNames();
    const dashboard = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana', 'kura.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets)
        for (const name of kuraNamesIn(target.expr)) expect(exported, `${panel.title}: ${name}`).toContain(name);
    }
  });
});
