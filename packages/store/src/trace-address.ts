import type { Document, ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { maskCredentials } from './outbound-admin.js';
import { TRACE_PROJECTION, type TraceHit, toHits } from './trace.js';

/** What Kura sent because of mail to or from an address (auto-replies, forwards, submissions). */
export interface OutboundTrace {
  id: string;
  kind: string;
  from: string;
  to: string[];
  status: string;
  attempts: number;
  created: Date;
  lastError?: string;
}

/** Recent traffic of one address, newest first. */
export interface AddressTrace {
  address: string;
  /** The local user the address delivers to (its own address, an alias or a wildcard), if any. */
  user?: { id: string; username: string; forwardTargets: string[] };
  /** Messages stored for that user since `since`. */
  received: TraceHit[];
  /** Messages whose envelope sender is the address, in the mailboxes of `senderScope`. */
  sent: TraceHit[];
  outbound: OutboundTrace[];
}

export interface AddressTraceOptions {
  since: Date;
  limit: number;
  /** Users whose mailboxes are searched for mail *from* the address (their mailboxes are indexed by date). */
  senderScope: ObjectId[];
}

/** The newest messages of a user's mailboxes since `since` matching `extra`: one indexed query per mailbox (mailbox, idate). */
async function recentInMailboxes(store: Store, user: ObjectId, since: Date, limit: number, extra: Document = {}): Promise<Document[]> {
  const mailboxes = await store.db
    .collection('mailboxes')
    .find({ user }, { projection: { _id: 1 } })
    .toArray();
  const perBox = await Promise.all(
    mailboxes.map((m) =>
      store.db
        .collection('messages')
        .find({ mailbox: m._id, idate: { $gte: since }, ...extra }, { projection: TRACE_PROJECTION })
        .sort({ idate: -1 })
        .limit(limit)
        .toArray(),
    ),
  );
  return perBox
    .flat()
    .sort((a, b) => b.idate.getTime() - a.idate.getTime())
    .slice(0, limit);
}

/**
 * Where mail to and from `address` went lately: stored for which user in which
 * mailbox (with the MX's queue id and the junk verdict), and what Kura queued
 * because of it. Every query is bounded by a user's mailboxes and the time window,
 * so its cost does not grow with the whole store.
 */
export async function traceAddress(store: Store, address: string, options: AddressTraceOptions): Promise<AddressTrace> {
  const lower = address.trim().toLowerCase();
  const resolved = await store.users.asyncResolveAddress(lower, { wildcard: true, projection: { user: true } });
  const userId = resolved ? (resolved.user as ObjectId | undefined) : undefined;
  const result: AddressTrace = { address: lower, received: [], sent: [], outbound: [] };
  if (userId) {
    const doc = await store.db.collection('users').findOne({ _id: userId }, { projection: { username: 1, targets: 1 } });
    const targets = ((doc?.targets ?? []) as Array<{ value?: string }>).map((t) => maskCredentials(String(t.value ?? ''))).filter(Boolean);
    result.user = { id: userId.toHexString(), username: String(doc?.username ?? userId), forwardTargets: targets };
    result.received = await toHits(store, await recentInMailboxes(store, userId, options.since, options.limit));
  }
  const sent = await Promise.all(
    options.senderScope.map((u) => recentInMailboxes(store, u, options.since, options.limit, { 'meta.from': { $in: [address, lower] } })),
  );
  result.sent = await toHits(
    store,
    sent
      .flat()
      .sort((a, b) => b.idate.getTime() - a.idate.getTime())
      .slice(0, options.limit),
  );
  const or: Document[] = [{ 'envelope.to': lower }, { 'envelope.from': lower }];
  if (userId) or.push({ user: userId });
  const queued = await store.db
    .collection('kura_outbound')
    .find({ created: { $gte: options.since }, $or: or }, { projection: { raw: 0 } })
    .sort({ created: -1 })
    .limit(options.limit)
    .toArray();
  result.outbound = queued.map((o) => ({
    id: String(o._id),
    kind: String(o.kind ?? 'autoreply'),
    from: String(o.envelope?.from ?? ''),
    to: (o.envelope?.to ?? []) as string[],
    status: String(o.status),
    attempts: Number(o.attempts ?? 0),
    created: o.created,
    ...(o.lastError ? { lastError: String(o.lastError) } : {}),
  }));
  return result;
}
