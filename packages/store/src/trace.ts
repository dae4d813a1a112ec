import type { Document, ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { maskCredentials } from './outbound-admin.js';

/** Where one stored copy of a message is, and how it got there. */
export interface TraceHit {
  user: string;
  mailbox: string;
  uid: number;
  size: number;
  idate: Date;
  flags: string[];
  msgid: string;
  subject: string;
  /** MX, IMPORT, … (WildDuck's meta.source). */
  source: string;
  envelopeFrom?: string;
  /** The RCPT TO address(es) the MX stored it for. */
  envelopeTo?: string[];
  queueId?: string;
  origin?: string;
  junk: boolean;
}

/**
 * Finds the stored copies of a message by queue id (the MX's transaction id) or
 * Message-ID. Limited to `users` when given (their mailboxes are indexed); without,
 * every message in the store is looked at, which an operator should avoid on a large store.
 */
export async function traceMessage(store: Store, id: string, users?: ObjectId[]): Promise<TraceHit[]> {
  const msgid = id.includes('@') && !id.startsWith('<') ? `<${id}>` : id;
  const filter: Record<string, unknown> = { $or: [{ 'meta.queueId': id }, { msgid }] };
  if (users?.length) filter.user = { $in: users };
  const docs = await store.db.collection('messages').find(filter, { projection: TRACE_PROJECTION }).limit(100).toArray();
  return toHits(store, docs);
}

export const TRACE_PROJECTION = {
  user: 1,
  mailbox: 1,
  uid: 1,
  size: 1,
  idate: 1,
  flags: 1,
  msgid: 1,
  subject: 1,
  meta: 1,
  junk: 1,
} as const;

/** Message documents (with TRACE_PROJECTION's fields) as trace hits, with user and mailbox names. */
export async function toHits(store: Store, docs: Document[]): Promise<TraceHit[]> {
  const hits: TraceHit[] = [];
  for (const doc of docs) {
    const [user, mailbox] = await Promise.all([
      store.db.collection('users').findOne({ _id: doc.user }, { projection: { username: 1 } }),
      store.db.collection('mailboxes').findOne({ _id: doc.mailbox }, { projection: { path: 1 } }),
    ]);
    hits.push({
      user: String(user?.username ?? doc.user),
      mailbox: String(mailbox?.path ?? doc.mailbox),
      uid: doc.uid,
      size: doc.size,
      idate: doc.idate,
      flags: doc.flags ?? [],
      msgid: doc.msgid ?? '',
      subject: doc.subject ?? '',
      source: doc.meta?.source ?? '',
      envelopeFrom: doc.meta?.from,
      envelopeTo: doc.meta?.to,
      queueId: doc.meta?.queueId,
      origin: doc.meta?.origin,
      junk: Boolean(doc.junk),
    });
  }
  return hits;
}

/** Auto-replies Kura queued for these users since `since` (what a message may have triggered). */
export async function outboundSince(store: Store, users: ObjectId[], since: Date) {
  const docs = await store.db
    .collection('kura_outbound')
    .find({ user: { $in: users }, created: { $gte: since } }, { projection: { raw: 0 } })
    .sort({ created: 1 })
    .limit(20)
    .toArray();
  return docs.map((d) => (typeof d.route === 'string' ? { ...d, route: maskCredentials(d.route) } : d));
}
