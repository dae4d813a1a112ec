import { lookupRecipient, withTimeout } from '@kura/store';
import { DECLARED_SIZE } from './admission.js';
import { codes, dsn } from './codes.js';
import { acceptForwarded } from './forwarded-addresses.js';
import type { HarakaAddress, HarakaConnection, Next } from './haraka.js';
import { recipientVerdicts } from './metrics.js';
import { acceptSrsRecipient } from './srs-returns.js';
import { getStore, inboundConfig } from './store-handle.js';

/** Recipients the store accepted, per transaction: address → user id (hex). */
export const ACCEPTED = 'kura.recipients';

/** RCPT TO: the store decides; an unanswerable lookup is a temporary failure, never a reject. */
export async function checkRecipient(plugin: unknown, next: Next, connection: HarakaConnection, params: [HarakaAddress]) {
  const txn = connection.transaction;
  const rcpt = params[0];
  if (!txn) return next();
  const address = rcpt.address;
  try {
    // Bounces of forwards come back to Kura's SRS addresses: no user, routed to the original sender.
    if (acceptSrsRecipient(plugin, next, connection, address)) return;
    // Within Kura's RCPT budget: a hung store answers 451 4.3.0 here, before Haraka's hook timer.
    const lookup = getStore().then((store) => lookupRecipient(store, address));
    const found = await withTimeout(lookup, inboundConfig().smtp.lookupTimeoutMs, `recipient lookup for ${address}`);
    switch (found.status) {
      case 'deliver': {
        const declared = Number(txn.notes[DECLARED_SIZE] ?? 0);
        if (found.quota > 0 && declared > found.quota) {
          txn.results.add(plugin, { fail: `rcpt:too-big-for-quota:${address}` });
          recipientVerdicts.inc({ result: 'rejected', reason: 'larger-than-quota' });
          return next(codes.DENY, dsn.create(552, `Message of ${declared} bytes can never fit the mailbox quota of ${address}`, 2, 2));
        }
        if (found.quota > 0 && found.storageUsed + declared > found.quota) {
          txn.results.add(plugin, { fail: `rcpt:over-quota:${address}` });
          recipientVerdicts.inc({ result: 'tempfailed', reason: 'over-quota' });
          return next(codes.DENYSOFT, dsn.mbox_full(`Mailbox full, try again later: ${address}`, 452));
        }
        txn.notes[ACCEPTED] ??= {};
        const accepted = txn.notes[ACCEPTED] as Record<string, string>;
        accepted[address] = found.userId.toHexString();
        txn.results.add(plugin, { pass: `rcpt:${address}` });
        recipientVerdicts.inc({ result: 'accepted', reason: 'known' });
        return next(codes.OK);
      }
      case 'forward':
        return acceptForwarded(plugin, next, txn, address, found);
      case 'unknown':
        txn.results.add(plugin, { fail: `rcpt:unknown:${address}` });
        recipientVerdicts.inc({ result: 'rejected', reason: 'unknown' });
        return next(codes.DENY, dsn.no_such_user(`No such user here: ${address}`));
      case 'disabled':
        txn.results.add(plugin, { fail: `rcpt:disabled:${address}` });
        recipientVerdicts.inc({ result: 'rejected', reason: 'disabled' });
        return next(codes.DENY, dsn.mbox_disabled(`Mailbox disabled: ${address}`));
      case 'over-quota':
        txn.results.add(plugin, { fail: `rcpt:over-quota:${address}` });
        recipientVerdicts.inc({ result: 'tempfailed', reason: 'over-quota' });
        return next(codes.DENYSOFT, dsn.mbox_full(`Mailbox full, try again later: ${address}`, 452));
    }
  } catch (err) {
    connection.logerror(plugin, `recipient lookup for ${address} failed: ${(err as Error).message}`);
    txn.results.add(plugin, { fail: `rcpt:store-unavailable:${address}` });
    recipientVerdicts.inc({ result: 'tempfailed', reason: 'store-unavailable' });
    return next(codes.DENYSOFT, dsn.sys_unspecified('Mail store temporarily unavailable, try again later', 451));
  }
}
