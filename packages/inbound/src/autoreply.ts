import { createRequire } from 'node:module';
import { activeAutoReply, checkSendRate, claimAutoReply, enqueueOutbound, isSuppressed, type Store, userAddresses } from '@kura/store';
import { ObjectId } from 'mongodb';
import { autoReplySubject, autoReplyVerdict, type ScanStatus } from './autoreply-rules.js';
import type { HarakaConnection, HarakaTransaction } from './haraka.js';
import { JUNK, LOOP_HEADER } from './loops.js';
import { autoReplies } from './metrics.js';
import { inboundConfig } from './store-handle.js';

const require = createRequire(import.meta.url);
const MailComposer: new (
  mail: Record<string, unknown>,
) => { compile(): { build(): Promise<Buffer> } } = require('nodemailer/lib/mail-composer');

/**
 * After a message is stored: the recipient's vacation reply, if the rules of
 * RFC 3834 allow one, at most one per sender per interval and within the
 * user's hourly budget. It leaves through the outbound queue, never inline.
 */
export async function maybeAutoReply(
  plugin: unknown,
  connection: HarakaConnection,
  txn: HarakaTransaction,
  store: Store,
  recipient: string,
  userId: string,
) {
  const user = new ObjectId(userId);
  const reply = await activeAutoReply(store, user);
  if (!reply) return;
  const { outbound, hostname } = inboundConfig();
  const sender = txn.mail_from.address;
  const verdict = autoReplyVerdict({
    envelopeFrom: sender,
    header: (name) => txn.header.get(name),
    ownAddresses: [recipient.toLowerCase(), ...(await userAddresses(store, user))],
    scan: scanStatus(txn),
  });
  if (!verdict.send) {
    connection.loginfo(plugin, `no auto-reply for ${recipient}: ${verdict.reason}`);
    autoReplies.inc({ result: 'suppressed-rfc3834' });
    return;
  }
  if (!(await claimAutoReply(store.redis, user, sender, outbound.autoReplyIntervalSeconds))) {
    connection.loginfo(plugin, `no auto-reply for ${recipient}: ${sender} already had one within the interval`);
    autoReplies.inc({ result: 'suppressed-interval' });
    return;
  }
  const suppressed = await isSuppressed(store, sender);
  if (suppressed) {
    connection.loginfo(plugin, `no auto-reply for ${recipient}: ${sender} is on the suppression list (${suppressed.reason})`);
    autoReplies.inc({ result: 'suppressed-bounced' });
    return;
  }
  // The same per-user and per-domain budget as every message Kura sends for the user.
  const budget = await checkSendRate(store.redis, outbound, { user: userId, domain: recipient.slice(recipient.lastIndexOf('@') + 1) }, 1);
  if (!budget.allowed) {
    connection.logwarn(plugin, `no auto-reply for ${recipient}: hourly ${budget.scope} send budget used up`);
    autoReplies.inc({ result: 'suppressed-budget' });
    return;
  }
  const messageId = txn.header.get('message-id').trim();
  const header = txn.header as HarakaTransaction['header'] & { get_decoded?: (name: string) => string };
  const subject = (header.get_decoded ?? header.get).call(header, 'subject');
  const raw = await new MailComposer({
    from: { name: reply.name || recipient, address: recipient },
    to: sender,
    subject: autoReplySubject(subject, reply.subject),
    text: reply.text ?? '',
    ...(reply.html ? { html: reply.html } : {}),
    inReplyTo: messageId || undefined,
    references: messageId || undefined,
    headers: { 'Auto-Submitted': 'auto-replied', [LOOP_HEADER]: hostname, Precedence: 'bulk' },
  })
    .compile()
    .build();
  // Null envelope sender: nothing can bounce back to the user and start a loop (RFC 3834 section 3.3).
  await enqueueOutbound(store, { user, kind: 'autoreply', envelope: { from: '', to: [sender] }, raw });
  connection.loginfo(plugin, `auto-reply from ${recipient} to ${sender} queued`);
  autoReplies.inc({ result: 'queued' });
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
