import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, HARAKA_MARGIN_MS, hookTimeouts, type KuraConfigInput, loadConfig, renderHarakaConfig } from '../src/index.js';

const config = (smtp: KuraConfigInput['smtp'] = {}, trust: KuraConfigInput['trust'] = {}) =>
  loadConfig({ cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'kura-hooks-')), env: {}, overrides: { smtp, trust } });
const withoutTrust = { authentication: { enabled: false }, rspamd: { enabled: false } };

describe('per-hook timeouts', () => {
  it('derives each phase from the configured budgets; Haraka’s timer comes a margin after Kura’s deadline', () => {
    const t = hookTimeouts(config());
    // Defaults: lookup 10 s, authentication 10 s, rspamd within the scanner's 5 s, lane wait 120 s, delivery 30 s.
    expect(t.rcpt.budgetMs).toBe(10_000);
    expect(t.data_post.budgetMs).toBe(25_000);
    expect(t.connect.budgetMs).toBe(10_000);
    expect(t.queue.budgetMs).toBe(150_000);
    for (const phase of Object.values(t)) expect(phase.harakaSeconds * 1000).toBeGreaterThanOrEqual(phase.budgetMs + HARAKA_MARGIN_MS);
  });

  it('counts the scanner’s budget after DATA only when a scanner (a command or rspamd) runs', () => {
    expect(hookTimeouts(config({ scanner: { timeoutMs: 7_000 } }, withoutTrust)).data_post.budgetMs).toBe(10_000);
    expect(hookTimeouts(config({ scanner: { command: ['true'], timeoutMs: 7_000 } }, withoutTrust)).data_post.budgetMs).toBe(17_000);
    expect(hookTimeouts(config({ scanner: { timeoutMs: 7_000 } }, { authentication: { enabled: false } })).data_post.budgetMs).toBe(17_000);
  });

  it('adds the authentication budget after DATA and the DNS timeout at connect when blocklists are asked', () => {
    const t = hookTimeouts(
      config({}, { authentication: { timeoutMs: 4_000 }, blocklists: { zones: ['bl.example'] }, dnsTimeoutMs: 1_500 }),
    );
    expect(t.data_post.budgetMs).toBe(4_000 + 5_000 + 10_000);
    expect(t.connect.budgetMs).toBe(1_500);
  });

  it('writes the longest timer as the plugin’s default, so no hook falls back to a shorter one', () => {
    const c = config({ laneWaitTimeoutMs: 200_000 });
    const files = renderHarakaConfig(c, { pluginModule: '/opt/kura/plugin.js' });
    expect(Number(files['config/kura.timeout'])).toBe(hookTimeouts(c).queue.harakaSeconds);
  });

  it('refuses budgets a sending MTA would not wait for (RFC 5321: 10 minutes after DATA), naming the fix', () => {
    expect(() => hookTimeouts(config({ laneWaitTimeoutMs: 500_000, deliveryTimeoutMs: 100_000 }))).toThrow(ConfigError);
    expect(() => hookTimeouts(config({ laneWaitTimeoutMs: 500_000, deliveryTimeoutMs: 100_000 }))).toThrow(/Lower laneWaitTimeoutMs/);
  });
});
