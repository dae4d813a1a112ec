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
}

export interface DeliveryReceipt {
  messageId: string;
  mailboxId: string;
  uid: number;
  size: number;
}

/**
 * Stores one message in the recipient's INBOX through WildDuck's message handler
 * (attachments to GridFS, message document, mailbox counters, IMAP notification).
 * Resolves only once the database acknowledged the write with the store's
 * majority/journaled write concern; any failure or timeout is temporary.
 */
export async function deliverToInbox(store: Store, request: DeliveryRequest): Promise<DeliveryReceipt> {
  const adding = store.messages.addAsync({
    user: request.userId,
    path: 'INBOX',
    flags: [],
    raw: request.raw,
    meta: {
      source: 'MX',
      from: request.envelopeFrom,
      to: [request.recipient],
      origin: request.remoteAddress,
      queueId: request.queueId,
      time: new Date(),
    },
  });
  try {
    const { data } = await withTimeout(adding, request.timeoutMs, 'storing the message');
    return { messageId: String(data.id), mailboxId: String(data.mailbox), uid: data.uid, size: data.size };
  } catch (err) {
    if (err instanceof TemporaryStoreError) throw err;
    throw new TemporaryStoreError(`storing the message failed: ${(err as Error).message}`, 'write-failed', { cause: err });
  }
}
