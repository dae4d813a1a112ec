import fs from 'node:fs';
import path from 'node:path';

/**
 * Kura-only rows the bench does not measure itself, with the reason. Snapshot
 * and restore throughput is measured (snapshot-samples.ts) when the snapshot
 * package is there; failover drills need the high-availability topology and
 * a live deployment, so their recovery times come from the drills themselves.
 */
export function kuraOnlyFigures(root: string): string[] {
  const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
  const ha = path.join(root, 'packages', 'cli', 'src', 'commands', 'ha.ts');
  const commands = [bin, ha].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('\n');
  const rows: string[] = [];
  if (!fs.existsSync(path.join(root, 'packages', 'snapshot', 'package.json'))) {
    rows.push('snapshot and restore throughput: not measured: no snapshot package in this tree when the bench ran');
  }
  rows.push(
    commands.includes("command('drill")
      ? 'recovery time per HA drill: not measured here: `kura drill` runs against a live high-availability deployment (systemd units, HAProxy, Sentinels), which the bench does not start; the drills report their own recovery times (docs/operations.md)'
      : 'recovery time per HA drill: not measured: no `kura drill` command in this tree when the bench ran',
  );
  return rows;
}
