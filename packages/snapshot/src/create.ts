import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@kura/store';
import { type ClientSession, type Document, ReadPreference } from 'mongodb';
import { serialize } from './bson.js';
import { claimTemp, cleanStaleTemp, fsyncDir } from './catalog.js';
import { batchSizeFor, snapshotCollections } from './collections.js';
import { fsError, SnapshotError } from './errors.js';
import { type CollectionEntry, CollectionWriter, FORMAT_VERSION, MANIFEST, type Manifest, TMP_PREFIX, wildDuckVersions } from './format.js';
import type { Progress, ProgressListener } from './progress.js';

/** Progress is reported after every chunk, and at least every this many bytes. */
const REPORT_EVERY_BYTES = 4 * 1024 * 1024;

export interface CreateOptions {
  database: Database;
  /** Destination directory; created when missing. */
  dest: string;
  chunkBytes: number;
  kuraVersion: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  now?: () => Date;
  /** Test hook: pause after every chunk so a test can interrupt a run half-way. */
  chunkDelayMs?: number;
}

export interface CreateResult {
  id: string;
  dir: string;
  manifest: Manifest;
  /** Leftovers of interrupted runs that were removed first. */
  cleaned: string[];
}

/** UTC time stamp ids sort in creation order: 20261122-065400Z. */
export function snapshotId(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
    .replace('T', '-');
}

/**
 * Writes a snapshot of the whole mail store into `<dest>/.tmp-<id>/` and
 * renames it to `<dest>/<id>/` only once every chunk and the manifest are on
 * disk (fsynced). A run that dies half-way leaves only the temporary
 * directory, which `list` ignores and the next `create` removes.
 */
export async function createSnapshot(options: CreateOptions): Promise<CreateResult> {
  const { database, dest } = options;
  const now = options.now ?? (() => new Date());
  try {
    // A snapshot holds every message, password hashes, TOTP and DKIM secrets: owner only (0700/0600).
    fs.mkdirSync(dest, { recursive: true, mode: 0o700 });
    fs.chmodSync(dest, 0o700);
  } catch (err) {
    throw fsError(err, 'creating the snapshot directory', dest);
  }
  const cleaned = cleanStaleTemp(dest);
  const started = now();
  let id = snapshotId(started);
  for (let n = 2; fs.existsSync(path.join(dest, id)) || fs.existsSync(path.join(dest, TMP_PREFIX + id)); n++)
    id = `${snapshotId(started)}-${n}`;
  const tmp = path.join(dest, TMP_PREFIX + id);
  try {
    fs.mkdirSync(tmp, { mode: 0o700 });
    claimTemp(tmp);
  } catch (err) {
    throw fsError(err, 'creating the temporary snapshot directory', tmp);
  }

  // Point-in-time reads where the server offers them: a snapshot session on a
  // replica set (or sharded cluster) reads every collection at one cluster
  // time, from a secondary when one is available.
  const pointInTime = database.topology === 'replicaSet' || database.topology === 'sharded';
  const session: ClientSession | undefined = pointInTime ? database.client.startSession({ snapshot: true }) : undefined;
  const readPreference = pointInTime ? ReadPreference.secondaryPreferred : ReadPreference.primary;
  let writer: CollectionWriter | undefined;
  try {
    const collections = await snapshotCollections(database.db);
    const estimate = await estimateTotals(database, collections);
    const progress: Progress = {
      phase: 'create',
      collection: '',
      bytes: 0,
      totalBytes: estimate.bytes,
      documents: 0,
      messages: 0,
      totalMessages: estimate.messages,
      startedAt: Date.now(),
    };
    const entries: CollectionEntry[] = [];
    let doneBytes = 0;
    let lastReport = 0;
    for (const name of collections) {
      progress.collection = name;
      const current = new CollectionWriter(tmp, name, options.chunkBytes, async () => {
        options.onProgress?.({ ...progress });
        if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
      });
      writer = current;
      const cursor = database.db.collection(name).find({}, { batchSize: batchSizeFor(name), session, readPreference });
      try {
        for await (const doc of cursor) {
          if (options.signal?.aborted) throw new SnapshotError('snapshot interrupted', 'aborted');
          await current.write(serialize(doc as Document));
          progress.documents++;
          if (name === 'messages') progress.messages++;
          progress.bytes = doneBytes + current.bytes;
          if (progress.bytes - lastReport >= REPORT_EVERY_BYTES) {
            lastReport = progress.bytes;
            options.onProgress?.({ ...progress });
          }
        }
      } finally {
        await cursor.close().catch(() => {});
      }
      const chunks = await current.finish();
      doneBytes += current.bytes;
      progress.bytes = doneBytes;
      entries.push({ name, documents: current.documents, bytes: current.bytes, contentHash: current.content.hex(), chunks });
      options.onProgress?.({ ...progress });
    }
    writer = undefined;

    const versions = wildDuckVersions();
    const messages = entries.find((e) => e.name === 'messages');
    const manifest: Manifest = {
      format: 'kura-snapshot',
      formatVersion: FORMAT_VERSION,
      id,
      createdAt: started.toISOString(),
      finishedAt: now().toISOString(),
      kuraVersion: options.kuraVersion,
      schema: { wildduck: versions.schema, wildduckPackage: versions.pkg, format: FORMAT_VERSION },
      source: {
        database: database.db.databaseName,
        topology: database.topology,
        consistency: pointInTime ? 'snapshot' : 'none',
        readPreference: readPreference.mode,
        clusterTime: session ? snapshotTimeOf(session) : null,
      },
      collections: entries,
      totals: {
        documents: entries.reduce((n, e) => n + e.documents, 0),
        bytes: entries.reduce((n, e) => n + e.bytes, 0),
        compressedBytes: entries.reduce((n, e) => n + e.chunks.reduce((m, c) => m + c.compressedBytes, 0), 0),
        messages: messages?.documents ?? 0,
        messageBytes: messages?.bytes ?? 0,
      },
    };
    writeFileDurably(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(path.join(tmp, 'owner.json'), { force: true });
    fsyncDir(tmp);
    const final = path.join(dest, id);
    fs.renameSync(tmp, final);
    fsyncDir(dest);
    return { id, dir: final, manifest, cleaned };
  } catch (err) {
    writer?.abort();
    fs.rmSync(tmp, { recursive: true, force: true });
    if ((err as { code?: number }).code === 239 || (err as { codeName?: string }).codeName === 'SnapshotTooOld') {
      throw new SnapshotError(
        'the replica set no longer keeps the history this snapshot reads from (SnapshotTooOld)',
        'consistency',
        'raise minSnapshotHistoryWindowInSeconds on the data-bearing members above the snapshot duration, then run again',
        { cause: err },
      );
    }
    throw fsError(err, 'writing the snapshot', tmp);
  } finally {
    await session?.endSession().catch(() => {});
  }
}

function writeFileDurably(file: string, text: string): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The cluster time a snapshot session reads at (the driver keeps it after the first read). */
function snapshotTimeOf(session: ClientSession): { t: number; i: number } | null {
  const symbol = Object.getOwnPropertySymbols(session).find((s) => s.description === 'snapshotTime');
  const time = (symbol ? (session as unknown as Record<symbol, unknown>)[symbol] : undefined) ?? session.operationTime;
  if (!time || typeof time !== 'object') return null;
  const ts = time as { getHighBits?: () => number; getLowBits?: () => number; high?: number; low?: number };
  const t = ts.getHighBits?.() ?? ts.high;
  const i = ts.getLowBits?.() ?? ts.low;
  return typeof t === 'number' && typeof i === 'number' ? { t, i } : null;
}

/** Rough totals for the progress bar: collStats sizes where the server reports them. */
async function estimateTotals(database: Database, collections: string[]): Promise<{ bytes: number; messages: number }> {
  let bytes = 0;
  let messages = 0;
  for (const name of collections) {
    const coll = database.db.collection(name);
    try {
      const stats = await database.db.command({ collStats: name });
      bytes += Number(stats.size) || 0;
    } catch {
      // no size estimate: the bar shows counts without a byte total
    }
    if (name === 'messages') messages = await coll.estimatedDocumentCount().catch(() => 0);
  }
  return { bytes, messages };
}
