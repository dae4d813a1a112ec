import { describe, expect, it } from 'vitest';
import { registry } from '../src/metrics.js';

describe('submission metric names', () => {
  it('follow the conventions: one kura_submission_ prefix, _total on counters only, base units in the name', async () => {
    const metrics = await registry.getMetricsAsJSON();
    const names = metrics.map((m) => m.name);
    for (const name of [
      'auth_total',
      'senders_total',
      'recipients_total',
      'messages_total',
      'accept_seconds',
      'process_cpu_seconds_total',
    ]) {
      expect(names).toContain(`kura_submission_${name}`);
    }
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^kura_submission_[a-z0-9_]+$/);
      expect(metric.name).not.toMatch(/(^|_)([a-z0-9]+)_\2(_|$)/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
    }
  });
});
