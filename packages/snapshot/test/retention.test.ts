import { describe, expect, it } from 'vitest';
import { applyRetention, DEFAULT_RETENTION, isoWeekKey } from '../src/retention.js';

/** One snapshot a day at 02:30 UTC from `from` to `to` inclusive. */
function daily(from: string, to: string, hour = '02:30') {
  const out = [];
  for (let d = new Date(`${from}T${hour}:00Z`); d <= new Date(`${to}T${hour}:00Z`); d = new Date(d.getTime() + 86_400_000)) {
    out.push({ id: d.toISOString().slice(0, 10), createdAt: d });
  }
  return out;
}

describe('retention policy (UTC, grandfather-father-son)', () => {
  it('ISO weeks start on Monday and the first week holds the first Thursday', () => {
    expect(isoWeekKey(new Date('2026-01-01T00:00:00Z'))).toBe('2026-W01'); // Thursday
    expect(isoWeekKey(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01'); // Monday of that week
    expect(isoWeekKey(new Date('2025-12-28T23:59:59Z'))).toBe('2025-W52'); // Sunday
    expect(isoWeekKey(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
  });

  it('keeps 7 daily, 4 weekly and 12 monthly out of 400 days of dailies, exactly', () => {
    const snapshots = daily('2025-10-01', '2026-11-04');
    const { keep, prune } = applyRetention(snapshots, DEFAULT_RETENTION);
    const kept = keep.map((k) => k.id).sort();
    expect(kept).toEqual(
      [
        // daily: the last 7 days
        '2026-10-29',
        '2026-10-30',
        '2026-10-31',
        '2026-11-01',
        '2026-11-02',
        '2026-11-03',
        '2026-11-04',
        // weekly: newest of the last 4 ISO weeks (2026-11-04 is a Wednesday in W45; W44..W42 end on Sundays)
        '2026-10-25',
        '2026-10-18',
        // monthly: newest of each of the last 12 months (Nov 2026 back to Dec 2025)
        '2026-09-30',
        '2026-08-31',
        '2026-07-31',
        '2026-06-30',
        '2026-05-31',
        '2026-04-30',
        '2026-03-31',
        '2026-02-28',
        '2026-01-31',
        '2025-12-31',
      ].sort(),
    );
    expect(keep.length + prune.length).toBe(snapshots.length);
    expect(keep.find((k) => k.id === '2026-11-04')?.reasons).toEqual(['daily 2026-11-04', 'weekly 2026-W45', 'monthly 2026-11']);
    expect(keep.find((k) => k.id === '2026-11-01')?.reasons).toEqual(['daily 2026-11-01', 'weekly 2026-W44']);
    expect(keep.find((k) => k.id === '2026-10-31')?.reasons).toEqual(['daily 2026-10-31', 'monthly 2026-10']);
    expect(prune.map((p) => p.id)).toContain('2025-11-30');
    expect(prune.map((p) => p.id)).toContain('2026-10-28');
  });

  it('counts days that have a snapshot, not calendar days, and keeps the newest of a day', () => {
    const snapshots = [
      { id: 'a', createdAt: new Date('2026-03-01T01:00:00Z') },
      { id: 'b', createdAt: new Date('2026-03-01T13:00:00Z') },
      { id: 'c', createdAt: new Date('2026-03-05T01:00:00Z') },
      { id: 'd', createdAt: new Date('2026-03-20T01:00:00Z') },
    ];
    const { keep, prune } = applyRetention(snapshots, { daily: 2, weekly: 0, monthly: 0 });
    expect(keep.map((k) => k.id)).toEqual(['d', 'c']);
    expect(prune.map((p) => p.id)).toEqual(['b', 'a']);
  });

  it('always keeps the newest snapshot, even with an all-zero policy', () => {
    const snapshots = daily('2026-01-01', '2026-01-03');
    const { keep, prune } = applyRetention(snapshots, { daily: 0, weekly: 0, monthly: 0 });
    expect(keep.map((k) => ({ id: k.id, reasons: k.reasons }))).toEqual([{ id: '2026-01-03', reasons: ['newest'] }]);
    expect(prune).toHaveLength(2);
  });

  it('keeps everything while there are fewer snapshots than the policy allows', () => {
    const snapshots = daily('2026-05-01', '2026-05-05');
    expect(applyRetention(snapshots, DEFAULT_RETENTION).prune).toEqual([]);
  });
});
