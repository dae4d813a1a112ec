/** Value at quantile q (0..1) of the samples, nearest-rank. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (samples: number[]) => percentile(samples, 0.5);

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how far the repeats disagree. */
  spread: number;
  runs: number[];
}

export function summarize(runs: number[]): Summary {
  const valid = runs.filter((r) => Number.isFinite(r));
  const mid = median(valid);
  const min = Math.min(...valid);
  const max = Math.max(...valid);
  return { median: mid, min, max, spread: mid > 0 ? (max - min) / mid : Number.NaN, runs };
}

/** Repeats that disagree by more than this are reported as too wide to conclude from. */
export const WIDE_SPREAD = 0.3;
