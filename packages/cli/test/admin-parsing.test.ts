import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/admin/expunge.js';
import { STATUS_EXIT } from '../src/admin/status.js';
import { formatAge } from '../src/admin/status-format.js';
import { parseSince } from '../src/admin/trace-address.js';

describe('operator command arguments', () => {
  it('reads --older-than durations and refuses anything else with the accepted forms', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    for (const bad of ['90', '90 days', '3m', '-1d', '0d', 'd'])
      expect(() => parseDuration(bad), bad).toThrow(/not a duration|longer than 0/);
  });

  it('reads --since as a duration ago or a date, defaulting to a day', () => {
    const now = Date.UTC(2026, 10, 29, 12);
    expect(parseSince('2h', now).getTime()).toBe(now - 2 * 3_600_000);
    expect(parseSince('2026-11-28', now).toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(parseSince(undefined, now).getTime()).toBe(now - 86_400_000);
    expect(() => parseSince('last tuesday', now)).toThrow(/neither a duration .* nor a date/);
  });

  it('maps the guard overall state to exit codes scripts can test', () => {
    expect(STATUS_EXIT).toEqual({ up: 0, unknown: 2, degraded: 2, down: 3 });
    expect([formatAge(5_000), formatAge(600_000), formatAge(5 * 3_600_000), formatAge(3 * 86_400_000)]).toEqual([
      '5 s',
      '10 min',
      '5 h',
      '3 d',
    ]);
  });
});
