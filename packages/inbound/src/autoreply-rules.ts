/**
 * RFC 3834 section 2: when an automatic reply must not be sent. Pure logic on
 * the envelope sender and the message's headers.
 */
export interface AutoReplyInput {
  envelopeFrom: string;
  header: (name: string) => string;
  /** The replying user's own addresses (lower case). */
  ownAddresses: string[];
}

export type AutoReplyVerdict = { send: true } | { send: false; reason: string };

const SYSTEM_SENDERS = /^(mailer-daemon|postmaster|no-?reply|owner-.*|.*-request|.*-owner|listserv|majordomo)@/i;

export function autoReplyVerdict({ envelopeFrom, header, ownAddresses }: AutoReplyInput): AutoReplyVerdict {
  const sender = envelopeFrom.trim().toLowerCase();
  if (!sender) return { send: false, reason: 'null sender' };
  if (ownAddresses.includes(sender)) return { send: false, reason: 'sender is the user' };
  if (SYSTEM_SENDERS.test(sender)) return { send: false, reason: 'system or list address' };
  const autoSubmitted = header('auto-submitted').trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return { send: false, reason: `Auto-Submitted: ${autoSubmitted}` };
  for (const list of ['list-id', 'list-unsubscribe', 'list-post', 'list-help', 'list-owner', 'list-archive']) {
    if (header(list).trim()) return { send: false, reason: `mailing list (${list})` };
  }
  const precedence = header('precedence').trim().toLowerCase();
  if (['bulk', 'list', 'junk'].includes(precedence)) return { send: false, reason: `Precedence: ${precedence}` };
  if (/\b(oof|autoreply|all)\b/i.test(header('x-auto-response-suppress'))) return { send: false, reason: 'X-Auto-Response-Suppress' };
  return { send: true };
}
