import { autoReplyAfterDelivery, type ScanStatus, type Store } from '@kura/store';
import { ObjectId } from 'mongodb';
import type { HarakaConnection, HarakaTransaction } from './haraka.js';
import { JUNK } from './loops.js';
import { autoReplies } from './metrics.js';
import { inboundConfig } from './store-handle.js';

/**
 * After a message is stored: the recipient's vacation reply through the store's
 * shared rules (RFC 3834, interval, suppression, budget), with the verdict of
 * this MX's scanner.
 */
export async function maybeAutoReply(
  plugin: unknown,
  connection: HarakaConnection,
  txn: HarakaTransaction,
  store: Store,
  recipient: string,
  userId: string,
) {
  const header = txn.header as HarakaTransaction['header'] & { get_decoded?: (name: string) => string };
  const sender = txn.mail_from.address;
  const outcome = await autoReplyAfterDelivery(store, inboundConfig(), {
    recipient,
    userId: new ObjectId(userId),
    envelopeFrom: sender,
    header: (name) => txn.header.get(name),
    subject: (header.get_decoded ?? header.get).call(header, 'subject'),
    scan: scanStatus(txn),
  });
  if (outcome.result === 'none') return;
  if (outcome.result === 'queued') connection.loginfo(plugin, `auto-reply from ${recipient} to ${sender} queued`);
  else if (outcome.result === 'suppressed-budget') connection.logwarn(plugin, `no auto-reply for ${recipient}: ${outcome.reason}`);
  else connection.loginfo(plugin, `no auto-reply for ${recipient}: ${outcome.reason}`);
  autoReplies.inc({ result: outcome.result });
}

/**
 * The scanner's verdict for this message: `clean` only when Kura's scanner ran and said so.
 * The scanner puts its X-Kura-Scan header first, so a sender's own copy of that header is never read.
 */
function scanStatus(txn: HarakaTransaction): ScanStatus {
  const junk = txn.notes[JUNK];
  if (junk === undefined) return 'unscanned';
  if (junk === true) return 'junk';
  // The command scanner writes `clean`, rspamd `clean (score …)`.
  return /^clean(\s|$)/.test((txn.header.get_all('X-Kura-Scan')[0] ?? '').trim()) ? 'clean' : 'unscanned';
}
