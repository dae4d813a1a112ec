import fs from 'node:fs';
import path from 'node:path';
import { listSnapshots } from './catalog.js';
import { MANIFEST } from './format.js';
import { applyRetention, type RetentionPolicy } from './retention.js';

export interface PruneResult {
  kept: Array<{ id: string; reasons: string[] }>;
  pruned: string[];
}

/**
 * Deletes the complete snapshots in `dest` that the policy does not keep. The
 * manifest goes first, so a deletion cut short leaves a directory that `list`
 * no longer shows as a snapshot and the next prune finishes removing.
 */
export function pruneSnapshots(dest: string, policy: RetentionPolicy, options: { dryRun?: boolean } = {}): PruneResult {
  const snapshots = listSnapshots(dest).map((s) => ({ id: s.id, dir: s.dir, createdAt: new Date(s.manifest.createdAt) }));
  const decision = applyRetention(snapshots, policy);
  if (!options.dryRun) {
    for (const s of decision.prune) {
      fs.rmSync(path.join(s.dir, MANIFEST), { force: true });
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
    // Directories whose manifest an earlier prune already removed.
    for (const name of fs.existsSync(dest) ? fs.readdirSync(dest) : []) {
      const dir = path.join(dest, name);
      if (name.startsWith('.') || fs.existsSync(path.join(dir, MANIFEST))) continue;
      if (fs.statSync(dir).isDirectory() && fs.readdirSync(dir).every((f) => f.endsWith('.bson.gz')))
        fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { kept: decision.keep.map((s) => ({ id: s.id, reasons: s.reasons })), pruned: decision.prune.map((s) => s.id) };
}
