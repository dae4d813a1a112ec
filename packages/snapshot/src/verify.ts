import { randomBytes } from 'node:crypto';
import type { Db, MongoClient } from 'mongodb';
import { serialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { ContentHash, checkCompatible, readChunk } from './format.js';
import { type Progress, type ProgressListener, progressFor } from './progress.js';
import { restoreFull } from './restore-full.js';

export { verifyChecksums } from './checksums.js';

export interface VerifyProblem {
  /** The chunk file, or `collection:<name>` for a collection-level mismatch. */
  where: string;
  problem: string;
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  problems: VerifyProblem[];
  chunks: number;
  documents: number;
  bytes: number;
  deep?: { database: string; collections: Array<{ name: string; expected: number; found: number; hashMatches: boolean }> };
}

export interface VerifyOptions {
  onProgress?: ProgressListener;
  /** Restore into a scratch database on this server and compare counts and content hashes. */
  deep?: { client: MongoClient; database?: string };
}

/**
 * Re-reads every chunk: checksum, gzip integrity, document framing, document
 * count, and each collection's content hash against the manifest. With
 * `deep`, also restores the snapshot into a scratch database and compares what
 * the server hands back, then drops the scratch database.
 */
export async function verifySnapshot(snapshot: SnapshotInfo, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { manifest } = snapshot;
  checkCompatible(manifest, snapshot.dir);
  const problems: VerifyProblem[] = [];
  const progress: Progress = progressFor('verify', manifest.totals);
  let chunks = 0;
  let lastReport = 0;
  for (const collection of manifest.collections) {
    progress.collection = collection.name;
    const content = new ContentHash();
    let documents = 0;
    let damaged = false;
    for (const chunk of collection.chunks) {
      chunks++;
      try {
        for await (const raw of readChunk(snapshot.dir, chunk)) {
          content.add(raw);
          documents++;
          progress.documents++;
          progress.bytes += raw.length;
          if (collection.name === 'messages') progress.messages++;
          if (progress.bytes - lastReport >= 4 * 1024 * 1024) {
            lastReport = progress.bytes;
            options.onProgress?.({ ...progress });
          }
        }
      } catch (err) {
        damaged = true;
        problems.push({ where: chunk.file, problem: (err as Error).message });
      }
      options.onProgress?.({ ...progress });
    }
    if (damaged) continue;
    if (documents !== collection.documents) {
      problems.push({
        where: `collection:${collection.name}`,
        problem: `${documents} documents, the manifest says ${collection.documents}`,
      });
    } else if (content.hex() !== collection.contentHash) {
      problems.push({ where: `collection:${collection.name}`, problem: 'content hash differs from the manifest' });
    }
  }
  const report: VerifyReport = {
    id: snapshot.id,
    ok: problems.length === 0,
    problems,
    chunks,
    documents: progress.documents,
    bytes: progress.bytes,
  };
  if (options.deep && report.ok) {
    report.deep = await deepCompare(snapshot, options.deep.client, options.deep.database, problems);
    report.ok = problems.length === 0;
  }
  return report;
}

async function deepCompare(snapshot: SnapshotInfo, client: MongoClient, name: string | undefined, problems: VerifyProblem[]) {
  const database = name ?? `kura_verify_${randomBytes(4).toString('hex')}`;
  const db: Db = client.db(database);
  const collections: NonNullable<VerifyReport['deep']>['collections'] = [];
  try {
    await restoreFull({ db }, snapshot, { repair: false, verifyFirst: false });
    for (const entry of snapshot.manifest.collections) {
      const content = new ContentHash();
      let found = 0;
      for await (const doc of db.collection(entry.name).find({}, { batchSize: entry.name.endsWith('.chunks') ? 16 : 200 })) {
        content.add(serialize(doc));
        found++;
      }
      const hashMatches = content.hex() === entry.contentHash;
      collections.push({ name: entry.name, expected: entry.documents, found, hashMatches });
      if (found !== entry.documents) {
        problems.push({ where: `collection:${entry.name}`, problem: `restored ${found} documents, the snapshot holds ${entry.documents}` });
      } else if (!hashMatches) {
        problems.push({ where: `collection:${entry.name}`, problem: 'restored documents differ from the snapshot (content hash)' });
      }
    }
  } finally {
    await db.dropDatabase().catch(() => {});
  }
  return { database, collections };
}
