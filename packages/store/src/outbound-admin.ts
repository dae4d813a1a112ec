import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { OUTBOUND_COLLECTION, type OutboundEntry, type OutboundStatus } from './outbound.js';

/** An entry as the operator sees it: everything but the message bytes. */
export type OutboundSummary = Omit<OutboundEntry, 'raw'> & { size: number };

const collection = (store: Store) => store.db.collection<OutboundEntry>(OUTBOUND_COLLECTION);

/** Entries oldest first, optionally of one status and/or one user, a page at a time (`after` an id). */
export async function listOutbound(
  store: Store,
  options: { status?: OutboundStatus; user?: ObjectId; after?: ObjectId; limit: number },
): Promise<OutboundSummary[]> {
  const filter = {
    ...(options.status ? { status: options.status } : { status: { $ne: 'sent' as const } }),
    ...(options.user ? { user: options.user } : {}),
    ...(options.after ? { _id: { $gt: options.after } } : {}),
  };
  const rows = await collection(store).find(filter).sort({ _id: 1 }).limit(options.limit).toArray();
  return rows.map(({ raw, ...rest }) => ({ ...masked(rest), size: rawLength(raw) }));
}

export async function findOutbound(store: Store, id: ObjectId): Promise<OutboundSummary | null> {
  const row = await collection(store).findOne({ _id: id });
  if (!row) return null;
  const { raw, ...rest } = row;
  return { ...masked(rest), size: rawLength(raw) };
}

/** A relay target's credentials are the user's: the operator sees the server, not the password. */
export function maskCredentials(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

function masked<T extends { route?: string }>(entry: T): T {
  return entry.route ? { ...entry, route: maskCredentials(entry.route) } : entry;
}

/**
 * Makes an entry due now. A failed one is tried again for its failed
 * recipients with a fresh lifetime (its bounce already went out; a new failure
 * sends none). Held, sent and in-flight entries are left alone, with the reason.
 */
export async function retryOutbound(store: Store, id: ObjectId): Promise<{ retried: true } | { retried: false; why: string }> {
  const row = await collection(store).findOne({ _id: id }, { projection: { status: 1, failed: 1, pending: 1, raw: 1 } });
  if (!row) return { retried: false, why: 'no such entry' };
  if (row.status === 'held') return { retried: false, why: 'its sender is held: kura queue release <user> lets it go' };
  if (row.status === 'sent') return { retried: false, why: 'it was delivered to every recipient' };
  if (row.status === 'sending') return { retried: false, why: 'it is being sent right now' };
  if (rawLength(row.raw) === 0) return { retried: false, why: 'the message itself is no longer kept' };
  const again = row.status === 'failed' ? (row.failed ?? []).map((f) => f.address) : undefined;
  await collection(store).updateOne(
    { _id: id, status: row.status },
    {
      $set: {
        status: 'queued',
        nextAttemptAt: new Date(),
        ...(again ? { pending: [...(row.pending ?? []), ...again], failed: [], dsnDone: true } : {}),
      },
      $unset: { retryUntil: '' },
    },
  );
  return { retried: true };
}

/** Deletes an entry (it is never sent); false if there was none. */
export async function removeOutbound(store: Store, id: ObjectId): Promise<boolean> {
  return (await collection(store).deleteOne({ _id: id })).deletedCount === 1;
}

function rawLength(raw: unknown): number {
  if (!raw) return 0;
  if (Buffer.isBuffer(raw)) return raw.length;
  const binary = raw as { buffer?: Uint8Array; length?: number };
  return binary.buffer?.length ?? binary.length ?? 0;
}

export const isObjectIdText = (text: string) => /^[0-9a-f]{24}$/i.test(text) && ObjectId.isValid(text);
