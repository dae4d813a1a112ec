import { type Db, type Document, ObjectId } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { verifyChecksums } from './checksums.js';
import { SnapshotError } from './errors.js';
import { checkCompatible, readCollection } from './format.js';
import { type Progress, type ProgressListener, progressFor } from './progress.js';
import { BatchInserter, countRefs, dropCounters, hex, type RefCount, type RestoreTarget } from './restore-common.js';

export interface FullRestoreOptions {
  onProgress?: ProgressListener;
  /** Check every chunk's checksum before writing anything (default true). */
  verifyFirst?: boolean;
  /**
   * Make the restored store self-consistent (default true): mailbox uidNext /
   * modifyIndex at least past their messages, attachment reference counts
   * from the messages that reference them, users' storageUsed from their
   * messages. `verify --deep` restores without it to compare bytes.
   */
  repair?: boolean;
  /** Restore into a store that already holds mail (never needed by operators; --force). */
  allowNonEmpty?: boolean;
  /** Create WildDuck's indexes afterwards (default true). */
  indexes?: (db: Db, collections: Set<string>) => Promise<string[]>;
}

export interface FullRestoreReport {
  collections: Array<{ name: string; documents: number }>;
  repaired: { mailboxes: number; attachments: number; users: number; orphanMessages: number };
  indexFailures: string[];
  seconds: number;
  bytes: number;
  messages: number;
}

/** Fails unless the target store holds no accounts and no mail. */
export async function assertEmpty(db: Db): Promise<void> {
  for (const name of ['users', 'mailboxes', 'messages', 'attachments.files']) {
    if (await db.collection(name).findOne({}, { projection: { _id: 1 } })) {
      throw new SnapshotError(
        `the target database '${db.databaseName}' is not empty (${name} has documents)`,
        'not-empty',
        'a full restore goes into an empty store: drop that database first, or restore one user with --user',
      );
    }
  }
}

/** Restores a whole snapshot into an empty store. */
export async function restoreFull(
  target: RestoreTarget,
  snapshot: SnapshotInfo,
  options: FullRestoreOptions = {},
): Promise<FullRestoreReport> {
  const { db } = target;
  const { manifest } = snapshot;
  checkCompatible(manifest, snapshot.dir);
  if (options.verifyFirst !== false) await verifyChecksums(snapshot);
  if (!options.allowNonEmpty) await assertEmpty(db);
  const repair = options.repair !== false;
  const started = Date.now();
  const progress: Progress = progressFor('restore', manifest.totals, started);

  const mailboxMax = new Map<string, { uid: number; modseq: number }>();
  const mailboxIds = new Set<string>();
  const userSize = new Map<string, number>();
  const refs = new Map<string, RefCount>();
  const repaired = { mailboxes: 0, attachments: 0, users: 0, orphanMessages: 0 };
  const out: FullRestoreReport['collections'] = [];

  for (const entry of manifest.collections) {
    progress.collection = entry.name;
    const inserter = new BatchInserter(db, entry.name);
    let lastReport = 0;
    for await (const raw of readCollection(snapshot.dir, entry)) {
      const doc = deserialize(raw);
      if (entry.name === 'mailboxes') mailboxIds.add(hex(doc._id));
      if (entry.name === 'messages' || entry.name === 'archived') countRefs(refs, doc);
      if (entry.name === 'messages') {
        const key = hex(doc.mailbox);
        if (!mailboxIds.has(key)) repaired.orphanMessages++;
        const max = mailboxMax.get(key) ?? { uid: 0, modseq: 0 };
        max.uid = Math.max(max.uid, Number(doc.uid) || 0);
        max.modseq = Math.max(max.modseq, Number(doc.modseq) || 0);
        mailboxMax.set(key, max);
        userSize.set(hex(doc.user), (userSize.get(hex(doc.user)) ?? 0) + (Number(doc.size) || 0));
        progress.messages++;
      }
      if (repair && entry.name === 'attachments.files') {
        const counted = refs.get(hex(doc._id));
        const meta = (doc.metadata ?? {}) as Document;
        const c = counted?.c ?? 0;
        const m = counted?.m ?? 0;
        if (meta.c !== c || meta.m !== m) repaired.attachments++;
        doc.metadata = { ...meta, c, m };
      }
      await inserter.add(doc, raw.length);
      progress.documents++;
      progress.bytes += raw.length;
      if (progress.bytes - lastReport > 4 * 1024 * 1024) {
        lastReport = progress.bytes;
        options.onProgress?.({ ...progress });
      }
    }
    await inserter.flush();
    out.push({ name: entry.name, documents: inserter.inserted });
    options.onProgress?.({ ...progress });
  }

  if (repair) {
    const mailboxes = db.collection('mailboxes');
    for (const [id, max] of mailboxMax) {
      const res = await mailboxes.updateOne(
        { _id: new ObjectId(id), $or: [{ uidNext: { $lte: max.uid } }, { modifyIndex: { $lt: max.modseq } }] },
        { $max: { uidNext: max.uid + 1, modifyIndex: max.modseq } },
      );
      repaired.mailboxes += res.modifiedCount;
    }
    const users = db.collection('users');
    for await (const user of users.find({}, { projection: { _id: 1, storageUsed: 1 }, batchSize: 1000 })) {
      const size = userSize.get(hex(user._id)) ?? 0;
      if (user.storageUsed !== size) {
        await users.updateOne({ _id: user._id }, { $set: { storageUsed: size } });
        repaired.users++;
      }
    }
  }
  const indexFailures = options.indexes ? await options.indexes(db, new Set(manifest.collections.map((c) => c.name))) : [];
  if (target.redis && mailboxIds.size) await dropCounters(target.redis, [...mailboxIds]);
  return {
    collections: out,
    repaired,
    indexFailures,
    seconds: (Date.now() - started) / 1000,
    bytes: progress.bytes,
    messages: progress.messages,
  };
}
