import crypto from 'node:crypto';
import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/**
 * Which messages have been stored for which recipient, keyed by delivery key,
 * so that a sender's retry is recognised with one lookup by _id. The record is
 * written "pending" before the message and "stored" after it; a pending record
 * means an earlier attempt died in between, and only then are the messages
 * themselves searched (each carries its key in meta.deliveryKey).
 */
export interface StoredReceipt {
  messageId: string;
  mailboxId: string;
  uid: number;
  size: number;
}

interface DeliveryRecord {
  _id: string;
  user: ObjectId;
  key: string;
  state: 'pending' | 'stored';
  created: Date;
  receipt?: StoredReceipt;
}

const COLLECTION = 'kura_deliveries';

const recordId = (userId: ObjectId, key: string) => crypto.createHash('sha256').update(`${userId.toHexString()}:${key}`).digest('hex');

export async function previousDelivery(store: Store, userId: ObjectId, key: string, windowMs: number): Promise<StoredReceipt | null> {
  const since = new Date(Date.now() - windowMs);
  const record = await store.db.collection<DeliveryRecord>(COLLECTION).findOne({ _id: recordId(userId, key) });
  if (!record || record.created < since) return null;
  if (record.state === 'stored' && record.receipt) return record.receipt;
  return findMessageByKey(store, userId, key, since);
}

export async function recordPending(store: Store, userId: ObjectId, key: string): Promise<void> {
  const record: DeliveryRecord = { _id: recordId(userId, key), user: userId, key, state: 'pending', created: new Date() };
  await store.db.collection<DeliveryRecord>(COLLECTION).replaceOne({ _id: record._id }, record, { upsert: true });
}

export async function recordStored(store: Store, userId: ObjectId, key: string, receipt: StoredReceipt): Promise<void> {
  await store.db.collection<DeliveryRecord>(COLLECTION).updateOne({ _id: recordId(userId, key) }, { $set: { state: 'stored', receipt } });
}

interface StoredMessage {
  _id: ObjectId;
  mailbox: ObjectId;
  uid: number;
  size: number;
}

async function findMessageByKey(store: Store, userId: ObjectId, key: string, since: Date): Promise<StoredReceipt | null> {
  const message = await store.db
    .collection<StoredMessage>('messages')
    .findOne({ user: userId, 'meta.deliveryKey': key, idate: { $gte: since } }, { projection: { _id: 1, mailbox: 1, uid: 1, size: 1 } });
  return message ? { messageId: String(message._id), mailboxId: String(message.mailbox), uid: message.uid, size: message.size } : null;
}

/** Indexes for the delivery log; records expire after the duplicate window where the database supports TTL indexes. */
export async function ensureDeliveryLogIndexes(store: Store, windowMs: number): Promise<void> {
  await store.db.collection('messages').createIndex({ user: 1, 'meta.deliveryKey': 1 }, { name: 'kura_delivery_key' });
  try {
    await store.db
      .collection(COLLECTION)
      .createIndex({ created: 1 }, { name: 'kura_deliveries_expire', expireAfterSeconds: Math.ceil(windowMs / 1000) });
  } catch (err) {
    // FerretDB 1.x has no TTL indexes: there the log keeps growing (docs/compatibility.md).
    if ((err as { code?: number }).code !== 238) throw err;
  }
}
