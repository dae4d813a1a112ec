import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SnapshotInfo } from './catalog.js';
import { SnapshotError } from './errors.js';

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const data of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(data as Buffer);
  return hash.digest('hex');
}

/** Quick pass before a restore: every chunk is present and matches its SHA-256. Throws naming the bad chunks. */
export async function verifyChecksums(snapshot: SnapshotInfo): Promise<void> {
  const problems: string[] = [];
  for (const collection of snapshot.manifest.collections) {
    for (const chunk of collection.chunks) {
      const file = path.join(snapshot.dir, chunk.file);
      if (!fs.existsSync(file)) problems.push(`${chunk.file} is missing`);
      else if ((await fileSha256(file)) !== chunk.sha256) problems.push(`${chunk.file} fails its SHA-256 checksum`);
    }
  }
  if (problems.length) {
    throw new SnapshotError(
      `snapshot ${snapshot.id} is damaged: ${problems.join('; ')}`,
      'corrupt',
      'nothing was restored; use another snapshot',
    );
  }
}
