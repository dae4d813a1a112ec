import { type Document, ObjectId } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { verifyChecksums } from './checksums.js';
import { SnapshotError } from './errors.js';
import { checkCompatible, readCollection } from './format.js';
import type { ProgressListener } from './progress.js';
import { type AttachmentsReport, restoreAttachments } from './restore-attachments.js';
import {
  collectionEntry,
  countRefs,
  dropCounters,
  existingIds,
  hex,
  type RefCount,
  type RestoreTarget,
  selected,
} from './restore-common.js';
import { insertMessages } from './restore-messages.js';
import { type MailboxPlan, type MailboxReport, matchesUser, messageKey, planMailbox, unameview } from './restore-plan.js';

export interface PartialRestoreOptions {
  /** Username, address, or user id as in the snapshot. */
  user: string;
  /** Mailbox path (e.g. "INBOX", "Archive/2025"); all mailboxes of the user when omitted. */
  mailbox?: string;
  onProgress?: ProgressListener;
  verifyFirst?: boolean;
}

export interface PartialRestoreReport {
  user: { id: string; username: string; created: boolean };
  mailboxes: MailboxReport[];
  metadata: Record<string, number>;
  attachments: AttachmentsReport;
  messages: number;
  bytes: number;
  seconds: number;
}

/** Account records restored with the user (those the live account lacks). */
const ACCOUNT_RECORDS = ['addresses', 'asps', 'filters', 'autoreplies', 'addressregister'];

async function findSnapshotUser(snapshot: SnapshotInfo, wanted: string): Promise<Document> {
  for await (const raw of readCollection(snapshot.dir, collectionEntry(snapshot, 'users'))) {
    const user = deserialize(raw);
    if (matchesUser(user, wanted)) return user;
  }
  throw new SnapshotError(
    `snapshot ${snapshot.id} has no user '${wanted}'`,
    'no-such-user',
    'name the user by username, address or id as it was when the snapshot was taken',
  );
}

/**
 * Restores one user, or one mailbox of one user, from a snapshot into the live
 * store without touching anyone else. A missing or empty mailbox gets its
 * snapshot UIDVALIDITY and UIDs back; a mailbox that holds mail gets only the
 * messages it lacks (same Message-ID, internal date and size count as
 * present), with new UIDs allocated the way WildDuck allocates them. Running
 * it again adds nothing. The decisions are in restore-plan.ts; attachments
 * and messages are written by their own modules.
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
    for (const name of ACCOUNT_RECORDS) {
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
  for await (const raw of readCollection(snapshot.dir, collectionEntry(snapshot, 'messages'))) {
    const doc = deserialize(raw);
    const plan = isUser(doc) ? plans.get(hex(doc.mailbox)) : undefined;
    if (!plan) continue;
    plan.maxUid = Math.max(plan.maxUid, Number(doc.uid) || 0);
    plan.maxModseq = Math.max(plan.maxModseq, Number(doc.modseq) || 0);
  }

  // Mailboxes: create the missing ones with their UIDVALIDITY; adopt it for empty ones; merge into the rest.
  const mailboxes = db.collection('mailboxes');
  for (const plan of plans.values()) {
    const snap = plan.snapshot;
    const existing = await mailboxes.findOne({ user: userId, path: snap.path });
    const hasMail = existing
      ? Boolean(await db.collection('messages').findOne({ mailbox: existing._id }, { projection: { _id: 1 } }))
      : false;
    const decision = planMailbox(snap, existing, hasMail, plan.maxUid, plan.maxModseq);
    plan.state = plan.report.state = decision.state;
    plan.uids = plan.report.uids = decision.uids;
    plan.report.uidValidity = decision.uidValidity;
    if (decision.action === 'create') {
      // WildDuck leaves a deleted mailbox's messages behind (flagged to expire) under the old id: reuse it only if nothing points at it.
      const idFree =
        !(await mailboxes.findOne({ _id: snap._id }, { projection: { _id: 1 } })) &&
        !(await db.collection('messages').findOne({ mailbox: snap._id }, { projection: { _id: 1 } }));
      const doc = {
        ...withUser(snap),
        _id: idFree ? snap._id : new ObjectId(),
        uidNext: decision.uidNext,
        modifyIndex: decision.modifyIndex,
      };
      await mailboxes.insertOne(doc);
      plan.live = doc;
    } else if (decision.action === 'adopt' && existing) {
      await mailboxes.updateOne(
        { _id: existing._id },
        { $set: { uidValidity: snap.uidValidity, uidNext: decision.uidNext }, $max: { modifyIndex: decision.modifyIndex } },
      );
      plan.live = { ...existing, uidValidity: snap.uidValidity, uidNext: decision.uidNext };
    } else plan.live = existing;
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

  const attachments = await restoreAttachments(db, snapshot, needed);
  const written = await insertMessages(target, snapshot, {
    chosen,
    plans,
    snapshotUserId: snapUserId,
    userId,
    startedAt: started,
    onProgress: options.onProgress,
  });
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
    messages: written.messages,
    bytes: written.bytes,
    seconds: (Date.now() - started) / 1000,
  };
}
