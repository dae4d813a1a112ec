import crypto from 'node:crypto';
import type { HarakaTransaction } from './haraka.js';

/**
 * The identity of a message as the sender sent it, for recognising an SMTP
 * retry: a hash of every header field and every body byte, minus only the
 * trace fields this MX put on top itself (Haraka's Received line carries the
 * transaction id, which differs on every attempt). Two messages that differ
 * in any byte the sender sent (a Cc, a Content-Type parameter, a header's
 * case) get different fingerprints, so neither can be mistaken for a retry of
 * the other. Computed after DATA, before Kura adds any header of its own.
 */
export function messageFingerprint(txn: HarakaTransaction, raw: Buffer): string {
  const hash = crypto.createHash('sha256');
  const own = ownTraceFields(txn);
  // Length-prefixed, so that no two different field lists hash alike.
  for (const field of txn.header.header_list) {
    if (own.has(field)) continue;
    const bytes = Buffer.from(field);
    hash.update(`${bytes.length}:`).update(bytes);
  }
  const eoh = raw.indexOf('\r\n\r\n');
  hash.update('body:').update(eoh >= 0 ? raw.subarray(eoh + 4) : Buffer.alloc(0));
  return hash.digest('hex');
}

/** Header fields this MX added to the message itself: its Received line for this transaction. */
function ownTraceFields(txn: HarakaTransaction): Set<string> {
  const own = new Set<string>();
  const id = ` id ${txn.uuid}`;
  for (const field of txn.header.header_list) {
    if (/^received:/i.test(field) && field.includes(id)) own.add(field);
  }
  return own;
}

/**
 * The loop brake's key: what stays the same while a message circles between
 * two systems (each pass adds trace fields of its own). It is deliberately
 * coarse, so it is only ever used to temp-fail (451) — never to answer 250
 * without storing; distinct messages that share it are delayed, not lost.
 */
export function loopFingerprint(txn: HarakaTransaction, raw: Buffer): string {
  const hash = crypto.createHash('sha256');
  for (const name of ['message-id', 'date', 'from', 'subject']) hash.update(`${name}:${txn.header.get(name).trim()}\n`);
  const bodyStart = raw.indexOf('\r\n\r\n');
  hash.update(bodyStart >= 0 ? raw.subarray(bodyStart + 4) : raw);
  return hash.digest('hex');
}

/**
 * One key per message, envelope sender and envelope recipient: the same
 * message to two users is two deliveries. A retry is answered 250 without
 * storing it again only when this key matches, i.e. the same bytes.
 */
export function deliveryKey(fingerprint: string, envelopeFrom: string, recipient: string): string {
  return crypto.createHash('sha256').update(`${fingerprint}\n${envelopeFrom.toLowerCase()}\n${recipient.toLowerCase()}`).digest('hex');
}
