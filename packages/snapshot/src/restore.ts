import type { Redis } from 'ioredis';
import { type Db, type Document, ObjectId } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { SnapshotError } from './errors.js';
import { type CollectionEntry, checkCompatible, readCollection } from './format.js';
import { type Progress, type ProgressListener, progressFor } from './progress.js';
import { verifyChecksums } from './verify.js';

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
class BatchInserter {
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

function hex(value: unknown): string {
  if (value instanceof ObjectId) return value.toHexString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  const binary = value as { buffer?: Buffer; value?: (asRaw: boolean) => Buffer } | null;
  if (binary?.buffer && Buffer.isBuffer(binary.buffer)) return binary.buffer.toString('hex');
  return String(value);
}

/** Attachment hashes a message references, one entry per MIME node (as WildDuck counts them). */
function attachmentRefs(message: Document): unknown[] {
  const map = (message.mimeTree as Document | undefined)?.attachmentMap as Record<string, unknown> | undefined;
  return map ? Object.values(map) : [];
}

interface RefCount {
  id: unknown;
  c: number;
  m: number;
}

function countRefs(refs: Map<string, RefCount>, message: Document): void {
  const magic = Number(message.magic) || 0;
  for (const id of attachmentRefs(message)) {
    const key = hex(id);
    const entry = refs.get(key) ?? { id, c: 0, m: 0 };
    entry.c += 1;
    entry.m += magic;
    refs.set(key, entry);
  }
}

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

async function dropCounters(redis: Redis, mailboxIds: string[]): Promise<void> {
  for (let i = 0; i < mailboxIds.length; i += 500) {
    const keys = mailboxIds.slice(i, i + 500).flatMap((id) => [`total:${id}`, `unseen:${id}`]);
    await redis.del(...keys).catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// Partial restore: one user, or one mailbox of one user, into the live store.

export interface PartialRestoreOptions {
  /** Username, address, or user id as in the snapshot. */
  user: string;
  /** Mailbox path (e.g. "INBOX", "Archive/2025"); all mailboxes of the user when omitted. */
  mailbox?: string;
  onProgress?: ProgressListener;
  verifyFirst?: boolean;
}

export interface MailboxReport {
  path: string;
  /** created: the mailbox was missing; emptied: it existed with no messages; merged: it had messages. */
  state: 'created' | 'emptied' | 'merged';
  /** preserved: original UIDVALIDITY and UIDs; new-uids: missing messages appended with new UIDs. */
  uids: 'preserved' | 'new-uids';
  uidValidity: number;
  restored: number;
  alreadyPresent: number;
}

export interface PartialRestoreReport {
  user: { id: string; username: string; created: boolean };
  mailboxes: MailboxReport[];
  metadata: Record<string, number>;
  attachments: { reused: number; restored: number; missingFromSnapshot: number };
  messages: number;
  bytes: number;
  seconds: number;
}

function unameview(name: string): string {
  return name.replace(/\./g, '').toLowerCase();
}

async function findSnapshotUser(snapshot: SnapshotInfo, wanted: string): Promise<Document> {
  const entry = collectionEntry(snapshot, 'users');
  const lower = wanted.toLowerCase();
  for await (const raw of readCollection(snapshot.dir, entry)) {
    const user = deserialize(raw);
    if (
      hex(user._id) === wanted ||
      user.username === wanted ||
      user.unameview === unameview(wanted) ||
      (typeof user.address === 'string' && user.address.toLowerCase() === lower)
    ) {
      return user;
    }
  }
  throw new SnapshotError(
    `snapshot ${snapshot.id} has no user '${wanted}'`,
    'no-such-user',
    'name the user by username, address or id as it was when the snapshot was taken',
  );
}

function collectionEntry(snapshot: SnapshotInfo, name: string): CollectionEntry | undefined {
  return snapshot.manifest.collections.find((c) => c.name === name);
}

/** Streams one collection of the snapshot, keeping the documents `keep` accepts, in batches. */
async function* selected(snapshot: SnapshotInfo, name: string, keep: (doc: Document) => boolean): AsyncGenerator<Document[]> {
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

async function existingIds(db: Db, collection: string, ids: unknown[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const found = await db
    .collection(collection)
    .find({ _id: { $in: ids } } as Document, { projection: { _id: 1 } })
    .toArray();
  return new Set(found.map((d) => hex(d._id)));
}

interface MailboxPlan {
  snapshot: Document;
  live: Document | null;
  state: MailboxReport['state'];
  uids: MailboxReport['uids'];
  maxUid: number;
  maxModseq: number;
  report: MailboxReport;
}

/**
 * Restores one user, or one mailbox of one user, from a snapshot into the live
 * store without touching anyone else. A missing or empty mailbox gets its
 * snapshot UIDVALIDITY and UIDs back; a mailbox that holds mail gets only the
 * messages it lacks (same Message-ID, internal date and size count as
 * present), with new UIDs allocated the way WildDuck allocates them. Running
 * it again adds nothing.
 */
export async function restorePartial(
  target: RestoreTarget,
  snapshot: SnapshotInfo,
  options: PartialRestoreOptions,
): Promise<PartialRestoreReport> {
  const { db } = target;
  checkCompatible(snapshot.manifest, snapshot.dir);
  if (options.verifyFirst !== false) await verifyChecksums(snapshot);
  const started = Date.now();
  const snapUser = await findSnapshotUser(snapshot, options.user);
  const snapUserId = snapUser._id as ObjectId;
  const users = db.collection('users');

  // The live account: same id, or the same username recreated with a new id.
  let live: Document | null = await users.findOne({ _id: snapUserId });
  live ??= await users.findOne({ unameview: snapUser.unameview ?? unameview(String(snapUser.username)) });
  const createdUser = !live;
  if (!live) {
    live = { ...snapUser, storageUsed: 0 };
    await users.insertOne(live);
  }
  const liveUser: Document = live;
  const userId = liveUser._id as ObjectId;
  const isUser = (doc: Document) => hex(doc.user) === hex(snapUserId);
  const withUser = (doc: Document): Document => ({ ...doc, user: userId });

  // Account records the user lacks (all of them when the user was recreated).
  const metadata: Record<string, number> = {};
  if (!options.mailbox || createdUser) {
    for (const name of ['addresses', 'asps', 'filters', 'autoreplies', 'addressregister']) {
      metadata[name] = 0;
      for await (const batch of selected(snapshot, name, isUser)) {
        const present = await existingIds(
          db,
          name,
          batch.map((d) => d._id),
        );
        for (const doc of batch) {
          if (present.has(hex(doc._id))) continue;
          if (name === 'addresses' && (await db.collection(name).findOne({ addrview: doc.addrview }, { projection: { _id: 1 } }))) continue;
          await db.collection(name).insertOne(withUser(doc));
          metadata[name]++;
        }
      }
    }
  }

  // Which mailboxes, and how each one is restored.
  const plans = new Map<string, MailboxPlan>();
  for await (const batch of selected(snapshot, 'mailboxes', (d) => isUser(d) && (!options.mailbox || d.path === options.mailbox))) {
    for (const doc of batch) {
      const report: MailboxReport = {
        path: doc.path,
        state: 'created',
        uids: 'preserved',
        uidValidity: doc.uidValidity,
        restored: 0,
        alreadyPresent: 0,
      };
      plans.set(hex(doc._id), { snapshot: doc, live: null, state: 'created', uids: 'preserved', maxUid: 0, maxModseq: 0, report });
    }
  }
  if (options.mailbox && plans.size === 0) {
    const paths: string[] = [];
    for await (const batch of selected(snapshot, 'mailboxes', isUser)) paths.push(...batch.map((d) => String(d.path)));
    throw new SnapshotError(
      `snapshot ${snapshot.id} has no mailbox '${options.mailbox}' for ${snapUser.username}`,
      'no-such-mailbox',
      `mailboxes there: ${paths.join(', ')}`,
    );
  }

  // Pass 1 (read only): highest UID/MODSEQ per mailbox, to place uidNext past them.
  const messagesEntry = collectionEntry(snapshot, 'messages');
  for await (const raw of readCollection(snapshot.dir, messagesEntry)) {
    const doc = deserialize(raw);
    const plan = isUser(doc) ? plans.get(hex(doc.mailbox)) : undefined;
    if (!plan) continue;
    plan.maxUid = Math.max(plan.maxUid, Number(doc.uid) || 0);
    plan.maxModseq = Math.max(plan.maxModseq, Number(doc.modseq) || 0);
  }

  // Mailboxes: create the missing ones with their UIDVALIDITY; adopt it for empty ones.
  const mailboxes = db.collection('mailboxes');
  for (const plan of plans.values()) {
    const snap = plan.snapshot;
    const uidNext = Math.max(Number(snap.uidNext) || 1, plan.maxUid + 1);
    const modifyIndex = Math.max(Number(snap.modifyIndex) || 0, plan.maxModseq);
    const existing = await mailboxes.findOne({ user: userId, path: snap.path });
    if (!existing) {
      // WildDuck leaves a deleted mailbox's messages behind (flagged to expire) under the old id: reuse it only if nothing points at it.
      const idFree =
        !(await mailboxes.findOne({ _id: snap._id }, { projection: { _id: 1 } })) &&
        !(await db.collection('messages').findOne({ mailbox: snap._id }, { projection: { _id: 1 } }));
      const doc = { ...withUser(snap), _id: idFree ? snap._id : new ObjectId(), uidNext, modifyIndex };
      await mailboxes.insertOne(doc);
      plan.live = doc;
      continue;
    }
    const hasMail = await db.collection('messages').findOne({ mailbox: existing._id }, { projection: { _id: 1 } });
    // UIDs may be reused only if this UIDVALIDITY never handed out UIDs past the snapshot's.
    const reusable = existing.uidValidity !== snap.uidValidity || (Number(existing.uidNext) || 1) <= uidNext;
    if (!hasMail && reusable) {
      await mailboxes.updateOne(
        { _id: existing._id },
        {
          $set: { uidValidity: snap.uidValidity, uidNext },
          $max: { modifyIndex: Math.max(modifyIndex, Number(existing.modifyIndex) || 0) },
        },
      );
      plan.live = { ...existing, uidValidity: snap.uidValidity, uidNext };
      plan.state = plan.report.state = 'emptied';
    } else {
      plan.live = existing;
      plan.state = plan.report.state = hasMail ? 'merged' : 'emptied';
      plan.uids = plan.report.uids = 'new-uids';
      plan.report.uidValidity = existing.uidValidity;
    }
  }

  // Threads the restored messages point at.
  metadata.threads = 0;
  for await (const batch of selected(snapshot, 'threads', isUser)) {
    const present = await existingIds(
      db,
      'threads',
      batch.map((d) => d._id),
    );
    const missing = batch.filter((d) => !present.has(hex(d._id))).map(withUser);
    if (missing.length) await db.collection('threads').insertMany(missing);
    metadata.threads += missing.length;
  }

  // Pass 2 (read only): which messages are missing, and the attachments they need.
  const chosen = new Set<string>();
  const needed = new Map<string, RefCount>();
  for await (const batch of selected(snapshot, 'messages', (d) => isUser(d) && plans.has(hex(d.mailbox)))) {
    const byMailbox = new Map<string, Document[]>();
    for (const doc of batch) byMailbox.set(hex(doc.mailbox), [...(byMailbox.get(hex(doc.mailbox)) ?? []), doc]);
    for (const [mailboxKey, docs] of byMailbox) {
      const plan = plans.get(mailboxKey) as MailboxPlan;
      const present = new Set<string>();
      if (plan.state !== 'created') {
        const found = await db
          .collection('messages')
          .find({ mailbox: plan.live?._id, msgid: { $in: docs.map((d) => d.msgid) } }, { projection: { msgid: 1, idate: 1, size: 1 } })
          .toArray();
        for (const f of found) present.add(messageKey(f));
      }
      for (const doc of docs) {
        if (present.has(messageKey(doc))) {
          plan.report.alreadyPresent++;
          continue;
        }
        chosen.add(hex(doc._id));
        countRefs(needed, doc);
      }
    }
  }

  // Attachments: count the new references on files that exist, restore the others (chunks first).
  const attachments = { reused: 0, restored: 0, missingFromSnapshot: 0 };
  const files = db.collection('attachments.files');
  const missingFiles = new Map<string, RefCount>();
  const neededList = [...needed.values()];
  for (let i = 0; i < neededList.length; i += 200) {
    const slice = neededList.slice(i, i + 200);
    const present = await existingIds(
      db,
      'attachments.files',
      slice.map((r) => r.id),
    );
    for (const ref of slice) {
      if (present.has(hex(ref.id))) {
        const res = await files.updateOne({ _id: ref.id } as Document, {
          $inc: { 'metadata.c': ref.c, 'metadata.m': ref.m },
          $set: { 'metadata.cu': new Date() },
        });
        if (res.matchedCount === 1) {
          attachments.reused++;
          continue;
        }
      }
      missingFiles.set(hex(ref.id), ref);
    }
  }
  if (missingFiles.size) {
    const fileDocs: Document[] = [];
    for await (const batch of selected(snapshot, 'attachments.files', (d) => missingFiles.has(hex(d._id)))) fileDocs.push(...batch);
    // Leftover chunks of a file that no longer exists would collide (WildDuck cleans them the same way).
    await db.collection('attachments.chunks').deleteMany({ files_id: { $in: fileDocs.map((f) => f._id) } } as Document);
    const wanted = new Set(fileDocs.map((f) => hex(f._id)));
    const chunks = new BatchInserter(db, 'attachments.chunks');
    for await (const raw of readCollection(snapshot.dir, collectionEntry(snapshot, 'attachments.chunks'))) {
      const chunk = deserialize(raw);
      if (wanted.has(hex(chunk.files_id))) await chunks.add(chunk, raw.length);
    }
    await chunks.flush();
    for (const file of fileDocs) {
      const ref = missingFiles.get(hex(file._id)) as RefCount;
      await files.insertOne({ ...file, metadata: { ...(file.metadata as Document), c: ref.c, m: ref.m, cu: new Date() } });
      attachments.restored++;
    }
    attachments.missingFromSnapshot = missingFiles.size - fileDocs.length;
  }

  // Pass 3: insert the chosen messages.
  const progress: Progress = {
    phase: 'restore',
    collection: 'messages',
    bytes: 0,
    totalBytes: messagesEntry?.bytes ?? 0,
    documents: 0,
    messages: 0,
    totalMessages: chosen.size,
    startedAt: started,
  };
  const messages = db.collection('messages');
  let restoredBytes = 0;
  for await (const raw of readCollection(snapshot.dir, messagesEntry)) {
    progress.bytes += raw.length;
    const doc = deserialize(raw);
    if (!chosen.has(hex(doc._id)) || !isUser(doc)) continue;
    const plan = plans.get(hex(doc.mailbox)) as MailboxPlan;
    const mailbox = plan.live as Document;
    const message: Document = { ...withUser(doc), mailbox: mailbox._id };
    if (await messages.findOne({ _id: doc._id }, { projection: { _id: 1 } })) message._id = new ObjectId();
    if (plan.uids === 'new-uids') {
      // Exactly as WildDuck's MessageHandler allocates UID and MODSEQ.
      const item = await mailboxes.findOneAndUpdate(
        { _id: mailbox._id },
        { $inc: { uidNext: 1, modifyIndex: 1 } },
        { returnDocument: 'before' },
      );
      if (!item.value)
        throw new SnapshotError(`mailbox ${mailbox.path} disappeared during the restore`, 'conflict', 'run the restore again');
      message.uid = item.value.uidNext;
      message.modseq = (Number(item.value.modifyIndex) || 0) + 1;
    }
    await messages.insertOne(message);
    await users.updateOne({ _id: userId }, { $inc: { storageUsed: Number(doc.size) || 0 } });
    if (plan.state !== 'created' && target.notifier) {
      await notify(target.notifier, mailbox, message);
    }
    plan.report.restored++;
    progress.messages++;
    progress.documents++;
    restoredBytes += Number(doc.size) || 0;
    if (progress.messages % 50 === 0) options.onProgress?.({ ...progress });
  }
  options.onProgress?.({ ...progress });
  if (target.notifier && chosen.size) target.notifier.fire(userId);
  if (target.redis)
    await dropCounters(
      target.redis,
      [...plans.values()].map((p) => hex(p.live?._id)),
    );

  return {
    user: { id: hex(userId), username: String(liveUser.username), created: createdUser },
    mailboxes: [...plans.values()].map((p) => p.report),
    metadata,
    attachments,
    messages: progress.messages,
    bytes: restoredBytes,
    seconds: (Date.now() - started) / 1000,
  };
}

function messageKey(doc: Document): string {
  const idate = doc.idate instanceof Date ? doc.idate.getTime() : String(doc.idate);
  return `${doc.msgid}\u0000${idate}\u0000${doc.size}`;
}

function notify(notifier: Notifier, mailbox: Document, message: Document): Promise<void> {
  return new Promise((resolve) => {
    notifier.addEntries(
      mailbox,
      [
        {
          command: 'EXISTS',
          uid: message.uid,
          message: message._id,
          modseq: message.modseq,
          unseen: message.unseen,
          idate: message.idate,
          thread: message.thread,
        },
      ],
      () => resolve(),
    );
  });
}
