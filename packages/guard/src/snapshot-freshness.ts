import fs from 'node:fs';
import path from 'node:path';

/**
 * When the newest complete snapshot in `dir` finished (ms since the epoch), or
 * undefined when there is none. A snapshot is complete once its manifest.json
 * is in place (the snapshot format, docs/operations.md "Snapshots"); its
 * `finishedAt` is when it was written in full.
 */
export function lastSnapshotFinishedAt(dir: string): number | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  let newest: number | undefined;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, name, 'manifest.json'), 'utf8')) as { finishedAt?: string };
      const at = Date.parse(manifest.finishedAt ?? '');
      if (Number.isFinite(at) && (newest === undefined || at > newest)) newest = at;
    } catch {
      // no or unreadable manifest: not a complete snapshot
    }
  }
  return newest;
}
