import crypto from 'node:crypto';
import { enqueueOutbound, FORWARD_HEADER, SrsError, type Store, srsFor } from '@kura/store';
import { ObjectId } from 'mongodb';
import { codes, dsn } from './codes.js';
import { srsReturns } from './forward-metrics.js';
import type { HarakaConnection, HarakaTransaction, Next } from './haraka.js';
import { recipientVerdicts } from './metrics.js';
import { inboundConfig } from './store-handle.js';

/** SRS recipients of a transaction: SRS address → the original sender it reverses to. */
export const SRS_RETURNS = 'kura.srs-returns';

/** Mail Kura relays on no user's behalf (returns to SRS addresses) is queued under this id. */
export const NO_USER = new ObjectId('000000000000000000000000');

/**
 * RCPT TO an address of Kura's SRS rewrite domain (a bounce of, or a reply to, a
 * forward): accepted when Kura's own key signed it within the last days, and
 * routed back to the original sender; a forged or expired one is refused
 * (550 5.1.1), so Kura never relays backscatter. Returns false for other addresses.
 */
export function acceptSrsRecipient(plugin: unknown, next: Next, connection: HarakaConnection, address: string): boolean {
  const txn = connection.transaction;
  const srs = srsFor(inboundConfig());
  if (!txn || !srs.isSrsAddress(address)) return false;
  try {
    const original = srs.reverse(address);
    txn.notes[SRS_RETURNS] ??= {};
    (txn.notes[SRS_RETURNS] as Record<string, string>)[address] = original;
    txn.results.add(plugin, { pass: `rcpt:srs:${address}` });
    recipientVerdicts.inc({ result: 'accepted', reason: 'srs' });
    srsReturns.inc({ result: 'accepted' });
    next(codes.OK);
  } catch (err) {
    if (!(err instanceof SrsError)) throw err;
    txn.results.add(plugin, { fail: `rcpt:srs-invalid:${address}` });
    recipientVerdicts.inc({ result: 'rejected', reason: 'srs-invalid' });
    srsReturns.inc({ result: 'rejected' });
    next(codes.DENY, dsn.no_such_user(`No such user here: ${address} (${err.message})`));
  }
  return true;
}

/**
 * Queues mail to SRS addresses back to the original senders, before the 250.
 * A bounce stays a bounce (null sender); anything else is rewritten again, as
 * any forward. The same transaction retried queues each return once.
 */
export async function queueSrsReturns(store: Store, txn: HarakaTransaction, raw: Buffer, fingerprint: string): Promise<number> {
  const returns = Object.entries((txn.notes[SRS_RETURNS] ?? {}) as Record<string, string>);
  const { hostname } = inboundConfig();
  for (const [address, original] of returns) {
    const id = crypto
      .createHash('sha256')
      .update(`srs-return\n${fingerprint}\n${txn.mail_from.address}\n${address.toLowerCase()}`)
      .digest();
    await enqueueOutbound(store, {
      _id: new ObjectId(id.subarray(0, 12)),
      user: NO_USER,
      kind: 'forward',
      envelope: { from: srsFor(inboundConfig()).forward(txn.mail_from.address), to: [original] },
      raw: Buffer.concat([Buffer.from(`${FORWARD_HEADER}: ${hostname}\r\n`), raw]),
      // No user's sending: returns would otherwise share one installation-wide budget. Inbound limits bound them.
      rateCharged: true,
    });
  }
  return returns.length;
}
