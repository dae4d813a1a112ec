import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fsError, SnapshotError } from './errors.js';
import { MANIFEST, type Manifest, readManifest, TMP_PREFIX } from './format.js';

export interface SnapshotInfo {
  id: string;
  dir: string;
  manifest: Manifest;
}

const OWNER = 'owner.json';

/**
 * Complete snapshots in `dest`, oldest first. A directory counts only when its
 * manifest is there and readable: temporary (.tmp-*) and half-deleted ones are
 * never listed.
 */
export function listSnapshots(dest: string): SnapshotInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError(err, 'listing snapshots', dest);
  }
  const out: SnapshotInfo[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const dir = path.join(dest, name);
    if (!fs.existsSync(path.join(dir, MANIFEST))) continue;
    try {
      out.push({ id: name, dir, manifest: readManifest(dir) });
    } catch {
      // an unreadable manifest is not a complete snapshot; `verify` on it says why
    }
  }
  return out.sort((a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt) || a.id.localeCompare(b.id));
}

/** A snapshot named by id (in `dest`) or by path. */
export function findSnapshot(dest: string, idOrPath: string): SnapshotInfo {
  const candidates = [path.resolve(idOrPath), path.join(dest, idOrPath)];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, MANIFEST))) return { id: path.basename(dir), dir, manifest: readManifest(dir) };
  }
  const known = listSnapshots(dest).map((s) => s.id);
  const exists = candidates.find((dir) => fs.existsSync(dir));
  if (exists) {
    throw new SnapshotError(
      `${exists} is not a complete snapshot (it has no ${MANIFEST})`,
      'not-found',
      'an interrupted snapshot is removed by the next `kura snapshot create`',
    );
  }
  throw new SnapshotError(
    `no snapshot '${idOrPath}' in ${dest}`,
    'not-found',
    known.length ? `snapshots there: ${known.join(', ')}` : 'there are none yet: run `kura snapshot create`',
  );
}

/** Marks a temporary directory as being written by this process. */
export function claimTemp(dir: string): void {
  fs.writeFileSync(path.join(dir, OWNER), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }), {
    mode: 0o600,
  });
}

function ownerAlive(dir: string): boolean {
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER), 'utf8')) as { pid: number; host: string };
    if (owner.host !== os.hostname() || owner.pid === process.pid) return false;
    process.kill(owner.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what interrupted or failed runs left behind: temporary directories
 * whose writer is gone. One that a live `create` on this host is writing is left alone.
 */
export function cleanStaleTemp(dest: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dest);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(dest, name);
    if (ownerAlive(dir)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
