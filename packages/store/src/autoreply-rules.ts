import { createRequire } from 'node:module';

/**
 * RFC 3834 section 2: when an automatic reply must not be sent, and what it may
 * echo. Pure logic on the envelope sender, the message's headers and the scan
 * verdict. Besides loops, these rules keep a vacation reply from being used for
 * backscatter: a forged envelope sender gets no reply unless the message was
 * really addressed to the user, scanned and found clean, and the reply repeats
 * at most a short, cleaned-up part of the attacker's Subject.
 */
export interface AutoReplyInput {
  envelopeFrom: string;
  header: (name: string) => string;
  /** The replying user's own addresses and aliases (lower case; `*@domain` for a catch-all). */
  ownAddresses: string[];
  /** What the content scanner said; `unscanned` when no scanner ran or it gave no verdict in time. */
  scan: ScanStatus;
}

export type ScanStatus = 'clean' | 'junk' | 'unscanned';

export type AutoReplyVerdict = { send: true } | { send: false; reason: string };

const SYSTEM_SENDERS = /^(mailer-daemon|postmaster|no-?reply|owner-.*|.*-request|.*-owner|listserv|majordomo)@/i;

/** How much of the original Subject an auto-reply may repeat (characters, after cleaning). */
export const MAX_ECHOED_SUBJECT = 60;

const require = createRequire(import.meta.url);
type ParsedAddress = { address?: string; group?: ParsedAddress[] };
const parseAddresses: (value: string) => ParsedAddress[] = require('nodemailer/lib/addressparser');

export function autoReplyVerdict({ envelopeFrom, header, ownAddresses, scan }: AutoReplyInput): AutoReplyVerdict {
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
  // RFC 3834 2: reply only when one of the user's addresses is an explicit recipient (To or Cc),
  // not to Bcc, list or forged-envelope copies.
  if (!addressedToUser(`${header('to')},${header('cc')}`, ownAddresses)) return { send: false, reason: 'user not in To or Cc' };
  if (scan === 'junk') return { send: false, reason: 'junk' };
  if (scan !== 'clean') return { send: false, reason: 'not scanned clean (no scanner verdict)' };
  return { send: true };
}

/** True when one of `ownAddresses` is among the addresses of a To/Cc header value. */
export function addressedToUser(headerValue: string, ownAddresses: string[]): boolean {
  const own = ownAddresses.map((a) => a.trim().toLowerCase()).filter(Boolean);
  return listedAddresses(headerValue).some((address) => {
    const [local = '', domain = ''] = splitAddress(address);
    const base = local.replace(/\+.*$/, '');
    return own.some((mine) => {
      const [myLocal = '', myDomain = ''] = splitAddress(mine);
      if (myDomain !== domain && myDomain !== '*') return false;
      return myLocal === '*' || myLocal === local || myLocal === base;
    });
  });
}

function listedAddresses(value: string): string[] {
  let parsed: ParsedAddress[];
  try {
    parsed = parseAddresses(value.replace(/\r?\n/g, ' '));
  } catch {
    return [];
  }
  const flat = (items: ParsedAddress[]): string[] =>
    items.flatMap((item) => (item.group ? flat(item.group) : item.address ? [item.address.toLowerCase()] : []));
  return flat(parsed).filter((a) => a.includes('@'));
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return at < 0 ? [address, ''] : [address.slice(0, at), address.slice(at + 1)];
}

/**
 * The Subject of an auto-reply: the user's own when set; otherwise "Auto: " and at most
 * MAX_ECHOED_SUBJECT characters of the original, with control and bidi characters removed,
 * whitespace collapsed and links replaced, so that a forged message cannot use the reply
 * to carry its text or URLs to a third party.
 */
export function autoReplySubject(original: string, configured?: string | null): string {
  if (configured?.trim()) return configured;
  const clean = original
    // controls (CR/LF included) and format characters (zero-width, bidi overrides, BOM)
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)\S*/gi, '[link]')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...clean];
  const echoed =
    chars.length > MAX_ECHOED_SUBJECT
      ? `${chars
          .slice(0, MAX_ECHOED_SUBJECT - 1)
          .join('')
          .trimEnd()}…`
      : clean;
  return echoed ? `Auto: ${echoed}` : 'Auto-reply';
}
