import type { Store } from './connect.js';

/**
 * Addresses Kura no longer sends to because a receiving server said they do
 * not exist (a hard bounce): sending to them again is what spam traps and
 * blocklists punish. One document per address; it lapses at `expires`.
 */
export interface Suppression {
  /** The recipient address, lower case. */
  _id: string;
  /** What the receiving server said, e.g. "550 5.1.1 no such user". */
  reason: string;
  created: Date;
  expires: Date;
  /** How many hard bounces this address produced while suppressed or before. */
  bounces: number;
}

const COLLECTION = 'kura_suppression';

export const normalizeAddress = (address: string) => address.trim().toLowerCase();

/** Records a hard bounce: the address is refused until `ttlDays` from now (extended on every new bounce). */
export async function suppressAddress(store: Store, address: string, reason: string, ttlDays: number): Promise<void> {
  const now = new Date();
  await store.db.collection<Suppression>(COLLECTION).updateOne(
    { _id: normalizeAddress(address) },
    {
      $set: { reason, expires: new Date(now.getTime() + ttlDays * 86_400_000) },
      $setOnInsert: { created: now },
      $inc: { bounces: 1 },
    },
    { upsert: true },
  );
}

/** The address's suppression if one is in force (why, until when), else null. */
export async function isSuppressed(store: Store, address: string, now = new Date()): Promise<Suppression | null> {
  return store.db.collection<Suppression>(COLLECTION).findOne({ _id: normalizeAddress(address), expires: { $gt: now } });
}

/** Lifts a suppression (the operator knows the address works again); false if there was none. */
export async function unsuppressAddress(store: Store, address: string): Promise<boolean> {
  const result = await store.db.collection<Suppression>(COLLECTION).deleteOne({ _id: normalizeAddress(address) });
  return result.deletedCount > 0;
}

/** Suppressions in force, in address order, a page at a time. */
export async function listSuppressions(store: Store, options: { after?: string; limit: number }, now = new Date()): Promise<Suppression[]> {
  const filter = { expires: { $gt: now }, ...(options.after ? { _id: { $gt: normalizeAddress(options.after) } } : {}) };
  return store.db.collection<Suppression>(COLLECTION).find(filter).sort({ _id: 1 }).limit(options.limit).toArray();
}

/** How many suppressions are in force (a gauge for the metrics). */
export async function countSuppressions(store: Store, now = new Date()): Promise<number> {
  return store.db.collection(COLLECTION).countDocuments({ expires: { $gt: now } });
}
