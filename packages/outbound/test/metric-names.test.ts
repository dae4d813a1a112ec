import { describe, expect, it } from 'vitest';
import { outboundRegistry } from '../src/metrics.js';

describe('outbound metric names', () => {
  it('follow the conventions: one kura_outbound_ prefix, _total on counters only', async () => {
    const metrics = await outboundRegistry.getMetricsAsJSON();
    const names = metrics.map((m) => m.name);
    for (const name of [
      'kura_outbound_deliveries_total',
      'kura_outbound_dsns_total',
      'kura_outbound_suppressed_total',
      'kura_outbound_held_senders',
    ]) {
      expect(names).toContain(name);
    }
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^kura_outbound_[a-z0-9_]+$/);
      expect(metric.name).not.toMatch(/(^|_)([a-z0-9]+)_\2(_|$)/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
    }
  });
});
