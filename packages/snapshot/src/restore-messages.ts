import { type Document, ObjectId } from 'mongodb';
import { deserialize } from './bson.js';
import type { SnapshotInfo } from './catalog.js';
import { SnapshotError } from './errors.js';
import { readCollection } from './format.js';
import type { Progress, ProgressListener } from './progress.js';
import { collectionEntry, hex, type Notifier, type RestoreTarget } from './restore-common.js';
import type { MailboxPlan } from './restore-plan.js';

export interface MessagesToRestore {
  /** Snapshot message ids (hex) chosen for restore. */
  chosen: Set<string>;
  /** Mailbox plans by snapshot mailbox id (hex). */
  plans: Map<string, MailboxPlan>;
  snapshotUserId: ObjectId;
  userId: ObjectId;
  startedAt: number;
  onProgress?: ProgressListener;
}

/**
 * The last pass of a partial restore: inserts the chosen messages into their
 * live mailboxes (new UIDs allocated as WildDuck's MessageHandler does where
 * the plan says so), counts their size on the user, and tells IMAP clients.
 */
export async function insertMessages(
  target: RestoreTarget,
  snapshot: SnapshotInfo,
  job: MessagesToRestore,
): Promise<{ messages: number; bytes: number }> {
  const { db } = target;
  const entry = collectionEntry(snapshot, 'messages');
  const progress: Progress = {
    phase: 'restore',
    collection: 'messages',
    bytes: 0,
    totalBytes: entry?.bytes ?? 0,
    documents: 0,
    messages: 0,
    totalMessages: job.chosen.size,
    startedAt: job.startedAt,
  };
  const messages = db.collection('messages');
  const mailboxes = db.collection('mailboxes');
  const users = db.collection('users');
  const snapshotUser = hex(job.snapshotUserId);
  let restoredBytes = 0;
  for await (const raw of readCollection(snapshot.dir, entry)) {
    progress.bytes += raw.length;
    const doc = deserialize(raw);
    if (!job.chosen.has(hex(doc._id)) || hex(doc.user) !== snapshotUser) continue;
    const plan = job.plans.get(hex(doc.mailbox)) as MailboxPlan;
    const mailbox = plan.live as Document;
    const message: Document = { ...doc, user: job.userId, mailbox: mailbox._id };
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
    await users.updateOne({ _id: job.userId }, { $inc: { storageUsed: Number(doc.size) || 0 } });
    if (plan.state !== 'created' && target.notifier) await notify(target.notifier, mailbox, message);
    plan.report.restored++;
    progress.messages++;
    progress.documents++;
    restoredBytes += Number(doc.size) || 0;
    if (progress.messages % 50 === 0) job.onProgress?.({ ...progress });
  }
  job.onProgress?.({ ...progress });
  if (target.notifier && job.chosen.size) target.notifier.fire(job.userId);
  return { messages: progress.messages, bytes: restoredBytes };
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
