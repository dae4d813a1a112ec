import { CliError } from '../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** "2G", "500MB", "1048576" → bytes; "0", "default" → 0 (WildDuck's default quota applies). */
export function parseSize(text: string): number {
  if (/^(0|default|none)$/i.test(text.trim())) return 0;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new CliError(`"${text}" is not a size: use bytes or a number with K, M, G or T (e.g. 2G), or "default"`);
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(bytes: number): string {
  if (!bytes) return '0';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}
