import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/**
 * The outbound queue: mail Kura emits (auto-replies, submissions, forwards), kept in the mail
 * store until a relay accepted it, so a crash of the MX loses nothing. Any MX
 * instance may send any entry; a claim is a lease that expires.
 */
export interface OutboundEntry {
  _id: ObjectId;
  user: ObjectId;
  /** What emitted it: an auto-reply, a user's submission, or a forward of inbound mail. */
  kind: 'autoreply' | 'submission' | 'forward';
  envelope: { from: string; to: string[] };
  raw: Buffer;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  created: Date;
  lastError?: string;
}

const COLLECTION = 'kura_outbound';
const LEASE_MS = 60_000;
const MAX_ATTEMPTS = 10;

/**
 * Queues one entry. With an `_id` of the caller's (derived from what it sends) the call is
 * idempotent: a retried delivery queues its forward once. `nextAttemptAt` defers the first attempt.
 */
export async function enqueueOutbound(
  store: Store,
  entry: Pick<OutboundEntry, 'user' | 'kind' | 'envelope' | 'raw'> & Partial<Pick<OutboundEntry, '_id' | 'nextAttemptAt'>>,
): Promise<ObjectId> {
  const now = new Date();
  const doc: OutboundEntry = { _id: new ObjectId(), nextAttemptAt: now, ...entry, status: 'queued', attempts: 0, created: now };
  try {
    await store.db.collection<OutboundEntry>(COLLECTION).insertOne(doc);
  } catch (err) {
    if (!(entry._id && (err as { code?: number }).code === 11000)) throw err;
  }
  return doc._id;
}

/** Takes the next due entry (queued, or a lease that ran out) and leases it to the caller. */
export async function claimOutbound(store: Store, now = new Date()): Promise<OutboundEntry | null> {
  const result = await store.db
    .collection<OutboundEntry>(COLLECTION)
    .findOneAndUpdate(
      { status: { $in: ['queued', 'sending'] }, nextAttemptAt: { $lte: now } },
      { $set: { status: 'sending', nextAttemptAt: new Date(now.getTime() + LEASE_MS) }, $inc: { attempts: 1 } },
      { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
    );
  return result.value ?? null;
}

export async function markOutboundSent(store: Store, id: ObjectId): Promise<void> {
  await store.db.collection<OutboundEntry>(COLLECTION).updateOne({ _id: id }, { $set: { status: 'sent' }, $unset: { raw: '' } });
}

/** A failed attempt: retried with exponential backoff, given up after MAX_ATTEMPTS or on a permanent error. */
export async function markOutboundFailed(store: Store, entry: OutboundEntry, error: string, permanent: boolean): Promise<void> {
  const giveUp = permanent || entry.attempts >= MAX_ATTEMPTS;
  const delay = Math.min(3600_000, 30_000 * 2 ** (entry.attempts - 1));
  await store.db
    .collection<OutboundEntry>(COLLECTION)
    .updateOne(
      { _id: entry._id },
      { $set: { status: giveUp ? 'failed' : 'queued', lastError: error, nextAttemptAt: new Date(Date.now() + delay) } },
    );
}

export async function outboundCounts(store: Store): Promise<Record<OutboundEntry['status'], number>> {
  const counts = { queued: 0, sending: 0, sent: 0, failed: 0 };
  for (const status of Object.keys(counts) as Array<OutboundEntry['status']>) {
    counts[status] = await store.db.collection(COLLECTION).countDocuments({ status });
  }
  return counts;
}
