import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { fsError, SnapshotError } from './errors.js';

/** Version of Kura's snapshot layout (chunks + manifest). Bumped on any incompatible change. */
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const TMP_PREFIX = '.tmp-';

export interface ChunkEntry {
  file: string;
  documents: number;
  /** BSON bytes before compression. */
  bytes: number;
  compressedBytes: number;
  /** SHA-256 of the chunk file as stored (compressed). */
  sha256: string;
}

export interface CollectionEntry {
  name: string;
  documents: number;
  bytes: number;
  /** XOR of the SHA-256 of every document's BSON: independent of order, compared by `verify --deep`. */
  contentHash: string;
  chunks: ChunkEntry[];
}

export interface Manifest {
  format: 'kura-snapshot';
  formatVersion: number;
  id: string;
  createdAt: string;
  finishedAt: string;
  kuraVersion: string;
  schema: { wildduck: string; wildduckPackage: string; format: number };
  source: {
    database: string;
    topology: string;
    /** 'snapshot': every collection read at one cluster time; 'none': read one after another, see docs/operations.md. */
    consistency: 'snapshot' | 'none';
    readPreference: string;
    clusterTime: { t: number; i: number } | null;
  };
  collections: CollectionEntry[];
  totals: { documents: number; bytes: number; compressedBytes: number; messages: number; messageBytes: number };
}

export function wildDuckVersions(): { schema: string; pkg: string } {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('@zone-eu/wildduck/package.json'));
  const consts = require(path.join(root, 'lib/consts.js')) as { SCHEMA_VERSION: string };
  const pkg = require(path.join(root, 'package.json')) as { version: string };
  return { schema: consts.SCHEMA_VERSION, pkg: pkg.version };
}

/** Compares dotted version strings numerically ("1.10" > "1.9"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Refuses a snapshot this Kura cannot read faithfully. */
export function checkCompatible(manifest: Manifest, where: string): void {
  if (manifest.format !== 'kura-snapshot') throw new SnapshotError(`${where} is not a Kura snapshot manifest`, 'corrupt');
  const current = wildDuckVersions();
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new SnapshotError(
      `snapshot ${manifest.id} uses snapshot format ${manifest.formatVersion}, newer than the formats this Kura reads (up to ${FORMAT_VERSION})`,
      'newer-schema',
      `restore it with Kura ${manifest.kuraVersion} or newer; nothing was changed`,
    );
  }
  if (compareVersions(manifest.schema.wildduck, current.schema) > 0) {
    throw new SnapshotError(
      `snapshot ${manifest.id} holds WildDuck schema ${manifest.schema.wildduck}, newer than this Kura's ${current.schema} (WildDuck ${current.pkg})`,
      'newer-schema',
      `restore it with Kura ${manifest.kuraVersion} or newer; nothing was changed`,
    );
  }
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SnapshotError(
        `${dir} is not a complete snapshot (no ${MANIFEST})`,
        'not-found',
        '`kura snapshot list` shows the complete ones',
      );
    }
    throw fsError(err, 'reading the manifest', file);
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch (err) {
    throw new SnapshotError(`${file} is not valid JSON: ${(err as Error).message}`, 'corrupt', undefined, { cause: err });
  }
}

/** Counts bytes and hashes them on their way to the file. */
class Tap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

function chunkName(collection: string, seq: number): string {
  return `${collection}.${String(seq).padStart(5, '0')}.bson.gz`;
}

/** Order-independent digest of a set of documents. */
export class ContentHash {
  private readonly acc = Buffer.alloc(32);
  add(raw: Buffer): void {
    const digest = createHash('sha256').update(raw).digest();
    for (let i = 0; i < 32; i++) this.acc[i] = (this.acc[i] as number) ^ (digest[i] as number);
  }
  hex(): string {
    return this.acc.toString('hex');
  }
}

interface OpenChunk {
  name: string;
  gzip: zlib.Gzip;
  tap: Tap;
  done: Promise<void>;
  documents: number;
  bytes: number;
}

/**
 * Writes one collection's BSON documents into gzip chunk files of about
 * `chunkBytes` compressed bytes each. `write` waits whenever the file cannot
 * keep up (backpressure), so memory stays bounded by the stream buffers.
 */
export class CollectionWriter {
  readonly chunks: ChunkEntry[] = [];
  readonly content = new ContentHash();
  documents = 0;
  bytes = 0;
  private current: OpenChunk | undefined;

  constructor(
    private readonly dir: string,
    readonly collection: string,
    private readonly chunkBytes: number,
    private readonly onChunk?: (chunk: ChunkEntry) => void | Promise<void>,
  ) {}

  /** Compressed bytes written so far (closed chunks plus what has left the compressor). */
  get compressedBytes(): number {
    return this.chunks.reduce((n, c) => n + c.compressedBytes, 0) + (this.current?.tap.bytes ?? 0);
  }

  async write(raw: Buffer): Promise<void> {
    const chunk = this.current ?? this.open();
    this.content.add(raw);
    this.documents++;
    this.bytes += raw.length;
    chunk.documents++;
    chunk.bytes += raw.length;
    if (!chunk.gzip.write(raw)) await Promise.race([once(chunk.gzip, 'drain'), chunk.done]);
    if (chunk.tap.bytes >= this.chunkBytes) await this.close();
  }

  async finish(): Promise<ChunkEntry[]> {
    await this.close();
    return this.chunks;
  }

  /** Stops writing after a failure; the partial file stays in the temporary directory. */
  abort(): void {
    this.current?.gzip.destroy();
    this.current = undefined;
  }

  private open(): OpenChunk {
    const name = chunkName(this.collection, this.chunks.length);
    const file = path.join(this.dir, name);
    const gzip = zlib.createGzip({ level: 3 });
    const tap = new Tap();
    const out = fs.createWriteStream(file, { flush: true, mode: 0o600 });
    const done = pipeline(gzip, tap, out).catch((err: unknown) => {
      throw fsError(err, `writing ${name}`, file);
    });
    done.catch(() => {}); // observed in write()/close(); avoid an unhandled rejection in between
    this.current = { name, gzip, tap, done, documents: 0, bytes: 0 };
    return this.current;
  }

  private async close(): Promise<void> {
    const chunk = this.current;
    if (!chunk) return;
    this.current = undefined;
    chunk.gzip.end();
    await chunk.done;
    const entry: ChunkEntry = {
      file: chunk.name,
      documents: chunk.documents,
      bytes: chunk.bytes,
      compressedBytes: chunk.tap.bytes,
      sha256: chunk.tap.hash.digest('hex'),
    };
    this.chunks.push(entry);
    await this.onChunk?.(entry);
  }
}

/**
 * Yields the raw BSON documents of one chunk file, in order. Checks the file's
 * SHA-256 and document count at the end; any problem is a SnapshotError that
 * names the chunk.
 */
export async function* readChunk(dir: string, chunk: ChunkEntry): AsyncGenerator<Buffer> {
  const file = path.join(dir, chunk.file);
  if (!fs.existsSync(file)) {
    throw new SnapshotError(
      `chunk ${chunk.file} is missing from ${dir}`,
      'corrupt',
      'restore from another snapshot; this one is incomplete',
    );
  }
  const tap = new Tap();
  const gunzip = zlib.createGunzip();
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const feeding = pipeline(source, tap, gunzip).catch((err: unknown) => err as Error);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let documents = 0;
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return out;
  };
  try {
    for await (const data of gunzip) {
      pending.push(data as Buffer);
      pendingBytes += (data as Buffer).length;
      while (pendingBytes >= 4) {
        if ((pending[0] as Buffer).length < 4) pending = [Buffer.concat(pending, pendingBytes)];
        const size = (pending[0] as Buffer).readInt32LE(0);
        if (size < 5 || size > 64 * 1024 * 1024) throw new Error(`a document length of ${size} bytes`);
        if (pendingBytes < size) break;
        documents++;
        yield Buffer.from(take(size));
      }
    }
  } catch (err) {
    source.destroy();
    throw new SnapshotError(`chunk ${chunk.file} is corrupt: ${(err as Error).message}`, 'corrupt', 'restore from another snapshot', {
      cause: err,
    });
  }
  const failed = await feeding;
  if (failed)
    throw new SnapshotError(`chunk ${chunk.file} is corrupt: ${failed.message}`, 'corrupt', 'restore from another snapshot', {
      cause: failed,
    });
  if (pendingBytes !== 0) throw new SnapshotError(`chunk ${chunk.file} is corrupt: ${pendingBytes} trailing bytes`, 'corrupt');
  const sha = tap.hash.digest('hex');
  if (sha !== chunk.sha256) {
    throw new SnapshotError(
      `chunk ${chunk.file} fails its checksum (SHA-256 ${sha}, manifest says ${chunk.sha256})`,
      'corrupt',
      'restore from another snapshot',
    );
  }
  if (documents !== chunk.documents) {
    throw new SnapshotError(`chunk ${chunk.file} holds ${documents} documents, the manifest says ${chunk.documents}`, 'corrupt');
  }
}

/** Every raw document of one collection, chunk after chunk. */
export async function* readCollection(dir: string, entry: CollectionEntry | undefined): AsyncGenerator<Buffer> {
  if (!entry) return;
  for (const chunk of entry.chunks) yield* readChunk(dir, chunk);
}
