import type { Redis } from 'ioredis';
import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/** A user's vacation message, as WildDuck's API stores it (collection `autoreplies`). */
export interface AutoReply {
  user: ObjectId;
  status: boolean;
  name?: string;
  subject?: string;
  text?: string;
  html?: string;
  start?: Date | false;
  end?: Date | false;
}

/** The user's auto-reply if it is switched on and `now` lies within its start/end window. */
export async function activeAutoReply(store: Store, userId: ObjectId, now = new Date()): Promise<AutoReply | null> {
  const reply = await store.db.collection<AutoReply>('autoreplies').findOne({ user: userId, status: true });
  if (!reply) return null;
  if (reply.start && reply.start > now) return null;
  if (reply.end && reply.end < now) return null;
  return reply;
}

/** Sets a user's auto-reply the way WildDuck's API does (the document and the user's flag). */
export async function setAutoReply(store: Store, userId: ObjectId, reply: Omit<AutoReply, 'user'>): Promise<void> {
  await store.db.collection('autoreplies').updateOne({ user: userId }, { $set: { ...reply, user: userId } }, { upsert: true });
  await store.db.collection('users').updateOne({ _id: userId }, { $set: { autoreply: reply.status } });
}

/** The addresses that belong to a user: an auto-reply never goes to one of them. */
export async function userAddresses(store: Store, userId: ObjectId): Promise<string[]> {
  const rows = await store.db
    .collection<{ address: string }>('addresses')
    .find({ user: userId }, { projection: { address: 1 } })
    .toArray();
  return rows.map((row) => row.address.toLowerCase());
}

/**
 * At most one auto-reply per user and sender per interval (RFC 3834 section 2):
 * true exactly once per interval, for whichever MX asks first.
 */
export async function claimAutoReply(redis: Redis, userId: ObjectId, sender: string, intervalSeconds: number): Promise<boolean> {
  const claimed = await redis.set(`kura:autoreply:${userId.toHexString()}:${sender.toLowerCase()}`, '1', 'EX', intervalSeconds, 'NX');
  return claimed === 'OK';
}
