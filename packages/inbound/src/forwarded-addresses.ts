import { queueForwards, type Store } from '@kura/store';
import { ObjectId } from 'mongodb';
import { codes } from './codes.js';
import { deliveryKey } from './fingerprint.js';
import { inboundForwardJob } from './forward.js';
import type { HarakaConnection, HarakaTransaction, Next } from './haraka.js';
import { recipientVerdicts } from './metrics.js';

/** Forwarded addresses of a transaction: address → its id (hex) and targets. */
export const FORWARDED = 'kura.forwarded';

interface Forwarded {
  addressId: string;
  targets: Array<{ type: string; value: string }>;
}

type Log = (plugin: unknown, message: string, fields?: Record<string, unknown>) => void;

/** RCPT TO a forwarded address of WildDuck's (no mailbox, only targets): accepted, forwarded at queue time. */
export function acceptForwarded(
  plugin: unknown,
  next: Next,
  txn: HarakaTransaction,
  address: string,
  found: Omit<Forwarded, 'addressId'> & { addressId: ObjectId },
) {
  txn.notes[FORWARDED] ??= {};
  (txn.notes[FORWARDED] as Record<string, Forwarded>)[address] = { addressId: found.addressId.toHexString(), targets: found.targets };
  txn.results.add(plugin, { pass: `rcpt:forwarded:${address}` });
  recipientVerdicts.inc({ result: 'accepted', reason: 'forwarded-address' });
  next(codes.OK);
}

export function forwardedAddresses(txn: HarakaTransaction): string[] {
  return Object.keys((txn.notes[FORWARDED] ?? {}) as Record<string, Forwarded>);
}

/**
 * Queues the forwards of every forwarded address of the transaction (SRS, loop
 * marker, ARC seal, sending limits as for a user's targets), before the 250. The
 * address stands in for the user: its id counts against the sending limits, and
 * the same delivery retried queues the same forwards once.
 */
export async function queueForwardedAddresses(
  plugin: unknown,
  connection: HarakaConnection,
  store: Store,
  txn: HarakaTransaction,
  raw: Buffer,
  fingerprint: string,
): Promise<void> {
  for (const [address, forwarded] of Object.entries((txn.notes[FORWARDED] ?? {}) as Record<string, Forwarded>)) {
    const log = (message: string, fields?: Record<string, unknown>) =>
      (connection.loginfo as Log)(plugin, `${message} (${address})`, fields);
    const job = inboundForwardJob({
      store,
      txn,
      userId: new ObjectId(forwarded.addressId),
      deliveryKey: deliveryKey(fingerprint, txn.mail_from.address, address),
      overForwardLimit: false,
      log,
    });
    await queueForwards(job, [{ from: txn.mail_from.address, recipient: address, targets: forwarded.targets, raw }]);
  }
}
