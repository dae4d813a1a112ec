import { createRequire } from 'node:module';
import type { KuraConfig } from '@kura/config';
import { ObjectId } from 'mongodb';
import { activeAutoReply, claimAutoReply, userAddresses } from './autoreply.js';
import { autoReplySubject, autoReplyVerdict, type ScanStatus } from './autoreply-rules.js';
import type { Store } from './connect.js';
import { enqueueOutbound } from './outbound.js';
import { checkSendRate } from './send-limits.js';
import { isSuppressed } from './suppression.js';

const require = createRequire(import.meta.url);
const MailComposer: new (
  mail: Record<string, unknown>,
) => { compile(): { build(): Promise<Buffer> } } = require('nodemailer/lib/mail-composer');
const libmime: { decodeWords(value: string): string } = require('libmime');

/** Kura's loop marker on every message it generates (auto-replies); the MX refuses mail that carries its own. */
export const LOOP_HEADER = 'X-Kura-Loop';

export interface AutoReplyRequest {
  /** The address the message was delivered to, and its owner. */
  recipient: string;
  userId: ObjectId;
  envelopeFrom: string;
  /** A header of the delivered message (first value, '' when absent). */
  header: (name: string) => string;
  /** The Subject, MIME-decoded; decoded here from `header('subject')` when left out. */
  subject?: string;
  scan: ScanStatus;
}

export type AutoReplyResult =
  | { result: 'none' }
  | { result: 'queued' }
  | { result: 'suppressed-rfc3834' | 'suppressed-interval' | 'suppressed-bounced' | 'suppressed-budget'; reason: string };

/**
 * After a message is stored: the recipient's vacation reply, if the rules of
 * RFC 3834 allow one, at most one per sender per interval and within the
 * user's hourly budget. It leaves through the outbound queue, never inline.
 * Shared by the MX and submission; the caller logs and counts the result.
 */
export async function autoReplyAfterDelivery(store: Store, config: KuraConfig, req: AutoReplyRequest): Promise<AutoReplyResult> {
  const reply = await activeAutoReply(store, req.userId);
  if (!reply) return { result: 'none' };
  const { outbound, hostname } = config;
  const sender = req.envelopeFrom;
  const verdict = autoReplyVerdict({
    envelopeFrom: sender,
    header: req.header,
    ownAddresses: [req.recipient.toLowerCase(), ...(await userAddresses(store, req.userId))],
    scan: req.scan,
  });
  if (!verdict.send) return { result: 'suppressed-rfc3834', reason: verdict.reason };
  if (!(await claimAutoReply(store.redis, req.userId, sender, outbound.autoReplyIntervalSeconds))) {
    return { result: 'suppressed-interval', reason: `${sender} already had one within the interval` };
  }
  const suppressed = await isSuppressed(store, sender);
  if (suppressed) return { result: 'suppressed-bounced', reason: `${sender} is on the suppression list (${suppressed.reason})` };
  // The same per-user and per-domain budget as every message Kura sends for the user.
  const domain = req.recipient.slice(req.recipient.lastIndexOf('@') + 1);
  const budget = await checkSendRate(store.redis, outbound, { user: req.userId.toHexString(), domain }, 1);
  if (!budget.allowed) return { result: 'suppressed-budget', reason: `hourly ${budget.scope} send budget used up` };
  const messageId = req.header('message-id').trim();
  const raw = await new MailComposer({
    from: { name: reply.name || req.recipient, address: req.recipient },
    to: sender,
    subject: autoReplySubject(req.subject ?? decodedSubject(req.header('subject')), reply.subject),
    text: reply.text ?? '',
    ...(reply.html ? { html: reply.html } : {}),
    inReplyTo: messageId || undefined,
    references: messageId || undefined,
    headers: { 'Auto-Submitted': 'auto-replied', [LOOP_HEADER]: hostname, Precedence: 'bulk' },
  })
    .compile()
    .build();
  // Null envelope sender: nothing can bounce back to the user and start a loop (RFC 3834 section 3.3).
  await enqueueOutbound(store, { user: new ObjectId(req.userId), kind: 'autoreply', envelope: { from: '', to: [sender] }, raw });
  return { result: 'queued' };
}

/** An encoded-word Subject (RFC 2047) as text; one that cannot be decoded is echoed as it is (and then cleaned). */
function decodedSubject(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
