import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { ensureDeliveryLogIndexes, previousDelivery, recordPending, recordStored } from './delivery-log.js';
import { TemporaryStoreError, withTimeout } from './errors.js';
import type { MailboxTarget } from './filters.js';
import { preparedCopy, type SharedParse } from './parsed-message.js';

/** Where and how to store the copy, as the user's filters decided; `drop` stores none. */
export interface Placement {
  target: MailboxTarget;
  flags: string[];
  filters?: string[];
  drop?: boolean;
}

import { ensureLocalTierIndexes } from './local-tier-indexes.js';
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
  /**
   * Runs once per delivery (never for a recognised retry), after the attempt is
   * recorded and before the copy is stored: the user's filters decide the
   * placement and queue any forwards there. Failing fails the delivery (4xx).
   */
  place?: () => Promise<Placement>;
  /** The transaction's shared parse (filters.ts): storing then parses nothing again. */
  parsed?: SharedParse;
}

export interface DeliveryReceipt {
  messageId: string;
  mailboxId: string;
  uid: number;
  size: number;
  /** True when an earlier attempt had already stored this message. */
  duplicate: boolean;
  /** A filter of the user deleted the message: no copy was stored (messageId ''). */
  dropped?: boolean;
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
    if (earlier) return { ...earlier, duplicate: true, dropped: earlier.messageId === '' };
    await temporary(recordPending(store, request.userId, key), request.timeoutMs, 'recording the delivery');
  }
  const placement = request.place ? await temporary(request.place(), request.timeoutMs, 'applying the filters') : undefined;
  if (placement?.drop) {
    const receipt = { messageId: '', mailboxId: '', uid: 0, size: request.raw.length };
    // A retry of a message the filters deleted is answered as done, without running them again.
    if (key) await temporary(recordStored(store, request.userId, key, receipt), request.timeoutMs, 'recording the delivery');
    return { ...receipt, duplicate: false, dropped: true };
  }
  const target = placement?.target ?? (request.junk ? { specialUse: '\\Junk' } : { path: 'INBOX' });
  // inside the store's time budget and error mapping, as when addAsync parsed the message itself
  const prepared = request.parsed
    ? await temporary(preparedCopy(store, request.raw, request.parsed), request.timeoutMs, 'storing the message')
    : {};
  const { data } = await temporary(
    store.messages.addAsync({
      user: request.userId,
      ...target,
      // A folder that no longer exists (a filter's target was deleted): INBOX, as WildDuck does.
      inboxDefault: true,
      flags: placement?.flags ?? [],
      ...(placement?.filters?.length ? { filters: placement.filters } : {}),
      // A copy: for a user with encryptMessages, WildDuck encrypts and then zero-fills the buffer it was given,
      // which would blank the message for the transaction's other recipients, forwards and auto-replies.
      raw: Buffer.from(request.raw),
      ...prepared,
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
  await ensureLocalTierIndexes(store.db);
}
