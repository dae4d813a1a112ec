import { describe, expect, it } from 'vitest';
import '../src/forward-metrics.js';
import { registry } from '../src/metrics.js';

describe('inbound metric names', () => {
  it('follow the conventions: one kura_inbound_ prefix, _total on counters only, base units in the name', async () => {
    const metrics = await registry.getMetricsAsJSON();
    const names = metrics.map((m) => m.name);
    expect(names).toContain('kura_inbound_process_cpu_seconds_total');
    expect(names).toContain('kura_inbound_lane_in_flight_bytes');
    expect(names).toContain('kura_inbound_lane_queued_messages');
    expect(names).toContain('kura_inbound_outbound_queue_messages');
    expect(names).toContain('kura_inbound_forwards_total');
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^kura_inbound_[a-z0-9_]+$/);
      // No segment repeated back to back (kura_inbound_process_process_…).
      expect(metric.name).not.toMatch(/(^|_)([a-z0-9]+)_\2(_|$)/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
    }
  });
});
