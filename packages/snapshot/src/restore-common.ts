import type { Redis } from 'ioredis';
import { type Db, type Document, ObjectId } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { type CollectionEntry, readCollection } from './format.js';

/** What full and partial restores share: the target, batched inserts, id and attachment-reference helpers. */
/** WildDuck's IMAP notifier (MessageHandler.notifier): journal entries + a Redis publish. */
export interface Notifier {
  addEntries(mailbox: Document, entries: Document[], callback: (err?: Error | null) => void): void;
  fire(user: ObjectId): void;
}

export interface RestoreTarget {
  db: Db;
  /** WildDuck caches mailbox counters in Redis; restored mailboxes get theirs dropped so they are recounted. */
  redis?: Redis;
  notifier?: Notifier;
}

const BATCH_DOCS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

/** Inserts documents in batches of bounded size; flushes on demand. */
export class BatchInserter {
  private docs: Document[] = [];
  private bytes = 0;
  inserted = 0;
  constructor(
    private readonly db: Db,
    private readonly collection: string,
  ) {}
  async add(doc: Document, size: number): Promise<void> {
    this.docs.push(doc);
    this.bytes += size;
    if (this.docs.length >= BATCH_DOCS || this.bytes >= BATCH_BYTES) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.docs.length) return;
    const docs = this.docs;
    this.docs = [];
    this.bytes = 0;
    await this.db.collection(this.collection).insertMany(docs, { ordered: true });
    this.inserted += docs.length;
  }
}

export function hex(value: unknown): string {
  if (value instanceof ObjectId) return value.toHexString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  const binary = value as { buffer?: Buffer; value?: (asRaw: boolean) => Buffer } | null;
  if (binary?.buffer && Buffer.isBuffer(binary.buffer)) return binary.buffer.toString('hex');
  return String(value);
}

/** Attachment hashes a message references, one entry per MIME node (as WildDuck counts them). */
export function attachmentRefs(message: Document): unknown[] {
  const map = (message.mimeTree as Document | undefined)?.attachmentMap as Record<string, unknown> | undefined;
  return map ? Object.values(map) : [];
}

export interface RefCount {
  id: unknown;
  c: number;
  m: number;
}

export function countRefs(refs: Map<string, RefCount>, message: Document): void {
  const magic = Number(message.magic) || 0;
  for (const id of attachmentRefs(message)) {
    const key = hex(id);
    const entry = refs.get(key) ?? { id, c: 0, m: 0 };
    entry.c += 1;
    entry.m += magic;
    refs.set(key, entry);
  }
}

export async function dropCounters(redis: Redis, mailboxIds: string[]): Promise<void> {
  for (let i = 0; i < mailboxIds.length; i += 500) {
    const keys = mailboxIds.slice(i, i + 500).flatMap((id) => [`total:${id}`, `unseen:${id}`]);
    await redis.del(...keys).catch(() => {});
  }
}

export function collectionEntry(snapshot: SnapshotInfo, name: string): CollectionEntry | undefined {
  return snapshot.manifest.collections.find((c) => c.name === name);
}

/** Streams one collection of the snapshot, keeping the documents `keep` accepts, in batches. */
export async function* selected(snapshot: SnapshotInfo, name: string, keep: (doc: Document) => boolean): AsyncGenerator<Document[]> {
  let batch: Document[] = [];
  for await (const raw of readCollection(snapshot.dir, collectionEntry(snapshot, name))) {
    const doc = deserialize(raw);
    if (!keep(doc)) continue;
    batch.push(doc);
    if (batch.length >= 200) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export async function existingIds(db: Db, collection: string, ids: unknown[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const found = await db
    .collection(collection)
    .find({ _id: { $in: ids } } as Document, { projection: { _id: 1 } })
    .toArray();
  return new Set(found.map((d) => hex(d._id)));
}
