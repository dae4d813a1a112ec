import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { ensureDeliveryLogIndexes, previousDelivery, recordPending, recordStored } from './delivery-log.js';
import { TemporaryStoreError, withTimeout } from './errors.js';
import { ensureOutboundIndexes } from './outbound.js';

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
  const key = request.deliveryKey;
  if (key) {
    const window = request.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    const earlier = await temporary(
      previousDelivery(store, request.userId, key, window),
      request.timeoutMs,
      'checking for an earlier delivery',
    );
    if (earlier) return { ...earlier, duplicate: true };
    await temporary(recordPending(store, request.userId, key), request.timeoutMs, 'recording the delivery');
  }
  const { data } = await temporary(
    store.messages.addAsync({
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
        ...(key ? { deliveryKey: key } : {}),
      },
    }),
    request.timeoutMs,
    'storing the message',
  );
  const receipt = { messageId: String(data.id), mailboxId: String(data.mailbox), uid: data.uid, size: data.size };
  // The message is stored; if this bookkeeping fails, a retry finds it through the pending record.
  if (key) await recordStored(store, request.userId, key, receipt).catch(() => undefined);
  return { ...receipt, duplicate: false };
}

/** Any failure or timeout of a store operation, as a temporary error (the sender retries). */
async function temporary<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  try {
    return await withTimeout(work, timeoutMs, what);
  } catch (err) {
    if (err instanceof TemporaryStoreError) throw err;
    throw new TemporaryStoreError(`${what} failed: ${(err as Error).message}`, 'write-failed', { cause: err });
  }
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 24 * 3600 * 1000;

/** Indexes Kura's own queries need, next to WildDuck's. Safe to run on every start. */
export async function ensureStoreIndexes(store: Store, duplicateWindowMs = DEFAULT_DUPLICATE_WINDOW_MS): Promise<void> {
  await ensureDeliveryLogIndexes(store, duplicateWindowMs);
  await ensureOutboundIndexes(store);
}
