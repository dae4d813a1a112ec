import crypto from 'node:crypto';
import type { HarakaTransaction } from './haraka.js';

/**
 * What stays the same when a sender retries the same message: its Message-ID
 * and the content, not the trace header this MX adds (which carries the new
 * queue id). Used to recognise a retry of a delivery that was already stored.
 */
export function messageFingerprint(txn: HarakaTransaction, raw: Buffer): string {
  const hash = crypto.createHash('sha256');
  for (const name of ['message-id', 'date', 'from', 'subject']) hash.update(`${name}:${txn.header.get(name).trim()}\n`);
  const bodyStart = raw.indexOf('\r\n\r\n');
  hash.update(bodyStart >= 0 ? raw.subarray(bodyStart + 4) : raw);
  return hash.digest('hex');
}

/** One key per message and envelope recipient: the same message to two users is two deliveries. */
export function deliveryKey(fingerprint: string, envelopeFrom: string, recipient: string): string {
  return crypto.createHash('sha256').update(`${fingerprint}\n${envelopeFrom.toLowerCase()}\n${recipient.toLowerCase()}`).digest('hex');
}
