import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/**
 * Senders held for an operator: too many of their messages bounced or were
 * refused. Their mail is kept (status `held`), never dropped, until
 * `kura queue release` lets it go.
 */
export interface SenderHold {
  _id: ObjectId;
  reason: string;
  since: Date;
}

const HOLDS = 'kura_outbound_holds';
const QUEUE = 'kura_outbound';

export async function isHeld(store: Store, user: ObjectId): Promise<boolean> {
  return (await store.db.collection<SenderHold>(HOLDS).countDocuments({ _id: user }, { limit: 1 })) > 0;
}

/** Holds a sender and every message of theirs still waiting; true when the hold is new. */
export async function holdSender(store: Store, user: ObjectId, reason: string): Promise<boolean> {
  const result = await store.db
    .collection<SenderHold>(HOLDS)
    .updateOne({ _id: user }, { $setOnInsert: { reason, since: new Date() } }, { upsert: true });
  // Entries being sent right now finish their attempt; they are held when put back (see settle).
  await store.db.collection(QUEUE).updateMany({ user, status: 'queued' }, { $set: { status: 'held' } });
  return result.upsertedCount === 1;
}

/** Lifts a hold: the sender's held messages are due at once. The number released, or null if there was no hold. */
export async function releaseSender(store: Store, user: ObjectId): Promise<number | null> {
  const removed = await store.db.collection<SenderHold>(HOLDS).deleteOne({ _id: user });
  const released = await store.db
    .collection(QUEUE)
    .updateMany({ user, status: 'held' }, { $set: { status: 'queued', nextAttemptAt: new Date() } });
  if (removed.deletedCount === 0 && released.modifiedCount === 0) return null;
  return released.modifiedCount;
}

export async function listHolds(store: Store): Promise<SenderHold[]> {
  return store.db.collection<SenderHold>(HOLDS).find({}).sort({ since: 1 }).limit(1000).toArray();
}
