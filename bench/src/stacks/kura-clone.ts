import type { Store } from '@kura/store';
import { type Document, ObjectId } from 'mongodb';

const BATCH = 250;

/**
 * Grows a user's INBOX to `count` messages with copies of the message documents in the source user's
 * INBOX (round robin, in UID order): new _id, the next UIDs and modseqs, the target's mailbox and user;
 * the mailbox's UID counter and the user's storage figure follow. The copies share the source's GridFS
 * attachments (their reference counts are not raised: the bench never deletes).
 */
export async function cloneMessages(store: Store, userId: ObjectId, count: number, sourceId: ObjectId): Promise<void> {
  const mailboxes = store.db.collection('mailboxes');
  const messages = store.db.collection('messages');
  const inboxOf = async (user: ObjectId) => {
    const box = await mailboxes.findOne({ user, path: 'INBOX' });
    if (!box) throw new Error(`no INBOX for user ${user.toHexString()}`);
    return box;
  };
  const target = await inboxOf(userId);
  const source = await inboxOf(sourceId);
  // small batches of large message documents: each reply stays a few megabytes
  const seeds = await messages.find({ mailbox: source._id }).sort({ uid: 1 }).batchSize(50).toArray();
  if (seeds.length === 0) throw new Error('nothing to clone: the source INBOX is empty');
  let have = await messages.countDocuments({ mailbox: target._id });
  let uid: number = target.uidNext;
  let modseq: number = target.modifyIndex ?? 0;
  let bytes = 0;
  while (have < count) {
    const batch: Document[] = [];
    for (let i = 0; i < Math.min(BATCH, count - have); i++) {
      const seed = seeds[(have + i) % seeds.length] as Document;
      modseq += 1;
      batch.push({ ...seed, _id: new ObjectId(), mailbox: target._id, user: userId, uid: uid++, modseq });
      bytes += Number(seed.size) || 0;
    }
    await messages.insertMany(batch, { ordered: true });
    have += batch.length;
  }
  await mailboxes.updateOne({ _id: target._id }, { $set: { uidNext: uid, modifyIndex: modseq } });
  await store.db.collection('users').updateOne({ _id: userId }, { $inc: { storageUsed: bytes } });
  await store.redis.del(`cached:${userId.toHexString()}`);
}
