import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { TemporaryStoreError, withTimeout } from './errors.js';

export interface DeliveryRequest {
  userId: ObjectId;
  /** The whole message as received, trace headers included. */
  raw: Buffer;
  envelopeFrom: string;
  recipient: string;
  queueId: string;
  remoteAddress?: string;
  timeoutMs: number;
  /**
   * Identifies this message for this recipient across SMTP retries (see
   * inbound's fingerprint). A message with the same key stored within
   * `duplicateWindowMs` is not stored again: the retry is answered as delivered.
   */
  deliveryKey?: string;
  /** Store in the user's Junk mailbox instead of INBOX (INBOX when the user has none). */
  junk?: boolean;
  duplicateWindowMs?: number;
}

export interface DeliveryReceipt {
  messageId: string;
  mailboxId: string;
  uid: number;
  size: number;
  /** True when an earlier attempt had already stored this message. */
  duplicate: boolean;
}

/**
 * Stores one message in the recipient's INBOX through WildDuck's message handler
 * (attachments to GridFS, message document, mailbox counters, IMAP notification).
 * Resolves only once the database acknowledged the write with the store's
 * majority/journaled write concern; any failure or timeout is temporary.
 */
export async function deliverToInbox(store: Store, request: DeliveryRequest): Promise<DeliveryReceipt> {
  if (request.deliveryKey) {
    const earlier = await withTimeout(findEarlierDelivery(store, request), request.timeoutMs, 'checking for an earlier delivery').catch(
      (err: unknown) => {
        throw err instanceof TemporaryStoreError
          ? err
          : new TemporaryStoreError(`checking for an earlier delivery failed: ${(err as Error).message}`, 'unavailable', { cause: err });
      },
    );
    if (earlier) return earlier;
  }
  const adding = store.messages.addAsync({
    user: request.userId,
    ...(request.junk ? { specialUse: '\\Junk', inboxDefault: true } : { path: 'INBOX' }),
    flags: [],
    raw: request.raw,
    meta: {
      source: 'MX',
      from: request.envelopeFrom,
      to: [request.recipient],
      origin: request.remoteAddress,
      queueId: request.queueId,
      time: new Date(),
      ...(request.deliveryKey ? { deliveryKey: request.deliveryKey } : {}),
    },
  });
  try {
    const { data } = await withTimeout(adding, request.timeoutMs, 'storing the message');
    return { messageId: String(data.id), mailboxId: String(data.mailbox), uid: data.uid, size: data.size, duplicate: false };
  } catch (err) {
    if (err instanceof TemporaryStoreError) throw err;
    throw new TemporaryStoreError(`storing the message failed: ${(err as Error).message}`, 'write-failed', { cause: err });
  }
}

interface StoredMessage {
  _id: ObjectId;
  mailbox: ObjectId;
  uid: number;
  size: number;
}

/**
 * The message an earlier attempt stored for the same key, if any. The key sits
 * in the message document itself, so "stored" and "recorded" cannot disagree.
 */
async function findEarlierDelivery(store: Store, request: DeliveryRequest): Promise<DeliveryReceipt | null> {
  const since = new Date(Date.now() - (request.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS));
  const earlier = await store.db
    .collection<StoredMessage>('messages')
    .findOne(
      { user: request.userId, 'meta.deliveryKey': request.deliveryKey, idate: { $gte: since } },
      { projection: { _id: 1, mailbox: 1, uid: 1, size: 1 } },
    );
  if (!earlier) return null;
  return { messageId: String(earlier._id), mailboxId: String(earlier.mailbox), uid: earlier.uid, size: earlier.size, duplicate: true };
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 24 * 3600 * 1000;

/** Indexes Kura's own queries need, next to WildDuck's. Safe to run on every start. */
export async function ensureStoreIndexes(store: Store): Promise<void> {
  await store.db.collection('messages').createIndex({ user: 1, 'meta.deliveryKey': 1 }, { name: 'kura_delivery_key' });
}
