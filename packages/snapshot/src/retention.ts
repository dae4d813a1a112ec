export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12 };

export interface Dated {
  id: string;
  createdAt: Date;
}

export interface RetentionDecision<T extends Dated> {
  keep: Array<T & { reasons: string[] }>;
  prune: T[];
}

function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** ISO 8601 week (Monday first; week 1 holds the year's first Thursday), in UTC. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/**
 * Grandfather-father-son retention, in UTC: keep the newest snapshot of each
 * of the `daily` most recent days that have one, of each of the `weekly` most
 * recent ISO weeks, and of each of the `monthly` most recent months. A
 * snapshot kept by any rule stays; everything else is pruned. The newest
 * snapshot is always kept, whatever the policy.
 */
export function applyRetention<T extends Dated>(snapshots: T[], policy: RetentionPolicy): RetentionDecision<T> {
  const newestFirst = [...snapshots].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id));
  const reasons = new Map<string, string[]>();
  const rule = (name: string, count: number, key: (d: Date) => string) => {
    const seen = new Set<string>();
    for (const s of newestFirst) {
      if (seen.size >= count) break;
      const k = key(s.createdAt);
      if (seen.has(k)) continue;
      seen.add(k);
      reasons.set(s.id, [...(reasons.get(s.id) ?? []), `${name} ${k}`]);
    }
  };
  rule('daily', policy.daily, dayKey);
  rule('weekly', policy.weekly, isoWeekKey);
  rule('monthly', policy.monthly, monthKey);
  const newest = newestFirst[0];
  if (newest && !reasons.has(newest.id)) reasons.set(newest.id, ['newest']);
  return {
    keep: newestFirst.filter((s) => reasons.has(s.id)).map((s) => ({ ...s, reasons: reasons.get(s.id) as string[] })),
    prune: newestFirst.filter((s) => !reasons.has(s.id)),
  };
}
