import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { isHeld } from './outbound-holds.js';

export type OutboundStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'held';

/** A recipient the receiving side refused for good (5xx), or that Kura gave up on. */
export interface RecipientFailure {
  address: string;
  /** The SMTP reply code (550, …), or 0 when Kura gave up by itself (queue lifetime, suppression). */
  code: number;
  message: string;
  /** The server that said it ("mx.example.net"), when one did. */
  remoteHost?: string;
}

/**
 * The outbound queue: mail Kura emits (auto-replies, submissions, forwards),
 * kept in the mail store until every
 * recipient was delivered or given up, so a crash of any node loses nothing.
 * Any node may send any entry; a claim is a lease that expires.
 */
export interface OutboundEntry {
  _id: ObjectId;
  user: ObjectId;
  /** What emitted it: an auto-reply, a user's submission, or a forward of inbound mail (bounces go straight to the sender's INBOX). */
  kind: 'autoreply' | 'submission' | 'forward';
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /**
   * A forward to a user's relay target (WildDuck's `relay:` forwarding target, an smtp:// or smtps:// URL,
   * credentials included as the user gave them): sent through that server instead of the configured relay or MX.
   */
  route?: string;
  status: OutboundStatus;
  /** Claims so far (a claim whose holder died counts too: this is not what decides giving up). */
  attempts: number;
  nextAttemptAt: Date;
  created: Date;
  lastError?: string;
  /** Recipients still to deliver; absent until the first attempt settled (then all of envelope.to). */
  pending?: string[];
  delivered?: string[];
  failed?: RecipientFailure[];
  /**
   * When the entry stops being retried. Set at the first real delivery attempt and pushed back by
   * every stretch in which the entry was due but nobody could work on it (store or queue outage),
   * so such an outage never uses up a message's lifetime.
   */
  retryUntil?: Date;
  /** The per-hour send budget was charged for this entry (forwards are charged when first sent). */
  rateCharged?: boolean;
  /** The sender's bounce (DSN) for the failed recipients was stored: never a second one. */
  dsnDone?: boolean;
  /** Until when one node holds the right to store the bounce (see claimDsn). */
  dsnClaimUntil?: Date;
  /** When the entry reached `sent` or `failed` (what pruning counts from). */
  finishedAt?: Date;
}

/** A claimed entry and how long it had been due before this claim (time nobody worked on it). */
export type ClaimedEntry = OutboundEntry & { overdueMs: number };

export const OUTBOUND_COLLECTION = 'kura_outbound';
const collection = (store: Store) => store.db.collection<OutboundEntry>(OUTBOUND_COLLECTION);

/**
 * Queues a message; it waits as `held` when its sender is held for an operator. With an `_id` of
 * the caller's (derived from what it sends) the call is idempotent: a retried delivery queues its
 * forward once. `nextAttemptAt` defers the first attempt; `rateCharged` says the caller already
 * charged the send budget.
 */
export async function enqueueOutbound(
  store: Store,
  entry: Pick<OutboundEntry, 'user' | 'kind' | 'envelope' | 'raw'> &
    Partial<Pick<OutboundEntry, '_id' | 'nextAttemptAt' | 'rateCharged' | 'route'>>,
): Promise<ObjectId> {
  const now = new Date();
  const status: OutboundStatus = (await isHeld(store, entry.user)) ? 'held' : 'queued';
  const doc: OutboundEntry = { _id: new ObjectId(), nextAttemptAt: now, ...entry, status, attempts: 0, created: now };
  try {
    await collection(store).insertOne(doc);
  } catch (err) {
    if (!(entry._id && (err as { code?: number }).code === 11000)) throw err;
  }
  return doc._id;
}

/** Takes the next due entry (queued, or a lease that ran out) and leases it to the caller for `leaseMs`. */
export async function claimOutbound(store: Store, now = new Date(), leaseMs = 60_000): Promise<ClaimedEntry | null> {
  const result = await collection(store).findOneAndUpdate(
    { status: { $in: ['queued', 'sending'] }, nextAttemptAt: { $lte: now } },
    { $set: { status: 'sending', nextAttemptAt: new Date(now.getTime() + leaseMs) }, $inc: { attempts: 1 } },
    { sort: { nextAttemptAt: 1 }, returnDocument: 'before' },
  );
  const before = result.value;
  if (!before) return null;
  return {
    ...before,
    raw: asBuffer(before.raw),
    status: 'sending',
    attempts: before.attempts + 1,
    overdueMs: Math.max(0, now.getTime() - before.nextAttemptAt.getTime()),
  };
}

/** What one attempt decided, applied in one write: who is done, who failed, who waits until when. */
export interface AttemptResult {
  status: Exclude<OutboundStatus, 'sending'>;
  pending: string[];
  delivered: string[];
  failed: RecipientFailure[];
  nextAttemptAt: Date;
  retryUntil?: Date;
  lastError?: string;
  rateCharged?: boolean;
}

/** Records an attempt's result; false when the lease was lost meanwhile (status no longer `sending`). */
export async function settleOutbound(store: Store, id: ObjectId, result: AttemptResult): Promise<boolean> {
  const update = await collection(store).updateOne(
    { _id: id, status: 'sending' },
    {
      $set: {
        status: result.status,
        pending: result.pending,
        delivered: result.delivered,
        failed: result.failed,
        nextAttemptAt: result.nextAttemptAt,
        ...(result.retryUntil ? { retryUntil: result.retryUntil } : {}),
        ...(result.lastError !== undefined ? { lastError: result.lastError } : {}),
        ...(result.rateCharged ? { rateCharged: true } : {}),
        ...(result.status === 'sent' || result.status === 'failed' ? { finishedAt: new Date() } : {}),
      },
      // The message itself is kept only while it may still be sent (or `kura queue retry` may resend it).
      ...(result.status === 'sent' ? { $unset: { raw: '' } } : {}),
    },
  );
  return update.matchedCount === 1;
}

/** Puts a claimed entry back unchanged until `until` (send budget spent, Kura's own trouble): not an attempt. */
export async function deferOutbound(store: Store, id: ObjectId, until: Date, reason: string): Promise<void> {
  await collection(store).updateOne(
    { _id: id, status: 'sending' },
    { $set: { status: 'queued', nextAttemptAt: until, lastError: reason }, $inc: { attempts: -1 } },
  );
}

/**
 * Takes the right to store an entry's bounce for `leaseMs` (the agent that
 * failed it and the sweep may both try): true for exactly one of them.
 */
export async function claimDsn(store: Store, id: ObjectId, now = new Date(), leaseMs = 120_000): Promise<boolean> {
  const result = await collection(store).updateOne(
    { _id: id, dsnDone: { $ne: true }, $or: [{ dsnClaimUntil: { $exists: false } }, { dsnClaimUntil: { $lt: now } }] },
    { $set: { dsnClaimUntil: new Date(now.getTime() + leaseMs) } },
  );
  return result.modifiedCount === 1;
}

/** Marks the bounce for a failed entry as stored. */
export async function markDsnDone(store: Store, id: ObjectId): Promise<void> {
  await collection(store).updateOne({ _id: id }, { $set: { dsnDone: true } });
}

/** Failed submissions whose sender has not had the bounce yet (stored while the store was in trouble). */
export async function pendingDsns(store: Store, limit = 20): Promise<OutboundEntry[]> {
  const rows = await collection(store)
    .find({
      status: 'failed',
      kind: 'submission',
      dsnDone: { $ne: true },
      $or: [{ dsnClaimUntil: { $exists: false } }, { dsnClaimUntil: { $lt: new Date() } }],
    })
    .limit(limit)
    .toArray();
  return rows.map((row) => ({ ...row, raw: asBuffer(row.raw) }));
}

/**
 * Deletes entries finished before `before`: sent ones, and failed ones whose
 * bounce is stored (or that never get one: only submissions bounce). Entries
 * from before `finishedAt` was recorded count from their creation. Returns how
 * many went. Without this the queue keeps every message's record for good.
 */
export async function pruneOutbound(store: Store, before: Date): Promise<number> {
  const finishedBefore = { $or: [{ finishedAt: { $lt: before } }, { finishedAt: { $exists: false }, created: { $lt: before } }] };
  const result = await collection(store).deleteMany({
    $and: [
      finishedBefore,
      { $or: [{ status: 'sent' }, { status: 'failed', dsnDone: true }, { status: 'failed', kind: { $ne: 'submission' } }] },
    ],
  });
  return result.deletedCount;
}

/** The queue's indexes: claiming by due time per status, and a user's entries (holds, `kura queue list --user`). */
export async function ensureOutboundIndexes(store: Store): Promise<void> {
  // One createIndexes per index: FerretDB 1.24 answers a createIndexes naming two indexes that both exist
  // already (every start after the first, every second MX) with a panic that drops the connection.
  // MongoDB treats both forms alike.
  await collection(store).createIndex({ status: 1, nextAttemptAt: 1 }, { name: 'status_due' });
  await collection(store).createIndex({ user: 1, status: 1 }, { name: 'user_status' });
}

export async function outboundCounts(store: Store): Promise<Record<OutboundStatus, number>> {
  const counts: Record<OutboundStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0, held: 0 };
  for (const status of Object.keys(counts) as OutboundStatus[]) {
    counts[status] = await collection(store).countDocuments({ status });
  }
  return counts;
}

/** The driver hands back BSON Binary for a Buffer field: the bytes as a Buffer. */
export function asBuffer(raw: unknown): Buffer {
  if (raw === undefined || raw === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(raw)) return raw;
  const binary = raw as { buffer?: Uint8Array };
  return Buffer.from(binary.buffer ?? (raw as Uint8Array));
}
