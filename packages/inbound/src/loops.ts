import { MAX_DATA_LINE_BYTES } from '@kura/config';
import { countRepeat, LOOP_HEADER, withTimeout } from '@kura/store';
import { codes, dsn } from './codes.js';
import { loopFingerprint, messageFingerprint } from './fingerprint.js';
import type { HarakaConnection, HarakaTransaction, Next } from './haraka.js';
import { messageBytes } from './message-bytes.js';
import { messageVerdicts, scanVerdicts } from './metrics.js';
import { ACCEPTED } from './recipients.js';
import { scanMessage } from './scanner.js';
import { getStore, inboundConfig } from './store-handle.js';

/** The message's exact fingerprint, computed once after DATA (before Kura adds headers) and reused by delivery. */
export const FINGERPRINT = 'kura.fingerprint';

/** Set when the scanner judged the message junk: it goes to the Junk mailbox. */
export const JUNK = 'kura.junk';

/** Kura marks every message it emits itself (auto-replies, forwards) with this header (defined in the store). */
export { LOOP_HEADER };

/**
 * After DATA, before anything is stored: the size limit (552 5.3.4), hop count
 * and Kura's own loop marker (554 5.4.6), and the repeat brake: the same
 * content for the same recipient more than `repeatThreshold` times within the
 * window is temp-failed, so a loop between two systems cannot fill a mailbox.
 * The brake only ever answers 451: a message it holds back is not lost, the
 * sender keeps it. Only the exact fingerprint may turn a message into a "retry".
 */
export async function checkMessage(plugin: unknown, next: Next, connection: HarakaConnection) {
  const txn = connection.transaction;
  if (!txn) return next();
  const { smtp, hostname } = inboundConfig();

  if (txn.data_bytes > smtp.maxMessageBytes) {
    txn.results.add(plugin, { fail: `size:${txn.data_bytes}` });
    messageVerdicts.inc({ result: 'rejected', reason: 'size' });
    return next(codes.DENY, dsn.create(552, `Message size exceeds the limit of ${smtp.maxMessageBytes} bytes`, 3, 4));
  }
  const hops = txn.header.get_all('Received').length;
  if (hops > smtp.maxHops) {
    txn.results.add(plugin, { fail: `loop:hops:${hops}` });
    messageVerdicts.inc({ result: 'rejected', reason: 'hops' });
    return next(codes.DENY, dsn.create(554, `Too many hops (${hops} Received headers): mail loop`, 4, 6));
  }
  if (txn.header.get_all(LOOP_HEADER).some((value) => value.trim().toLowerCase() === hostname.toLowerCase())) {
    txn.results.add(plugin, { fail: 'loop:own-header' });
    messageVerdicts.inc({ result: 'rejected', reason: 'own-loop-header' });
    return next(codes.DENY, dsn.create(554, `Mail loop detected: this message was sent by ${hostname} itself`, 4, 6));
  }

  if (txn.notes.data_line_length_exceeded) {
    txn.results.add(plugin, { fail: 'line-too-long' });
    messageVerdicts.inc({ result: 'rejected', reason: 'line-too-long' });
    return next(codes.DENY, dsn.create(554, `A line is longer than ${MAX_DATA_LINE_BYTES} bytes`, 6, 0));
  }
  // From Haraka's parsed header: the message stream itself refuses headers over 1 MB.
  const longest = longestHeaderLine(txn.header.header_list);
  if (longest > smtp.maxHeaderLineBytes) {
    txn.results.add(plugin, { fail: `header-line:${longest}` });
    messageVerdicts.inc({ result: 'rejected', reason: 'header-line-too-long' });
    // Refused rather than stored cut short: the sender learns it, nothing is silently lost.
    return next(codes.DENY, dsn.create(554, `A header line is ${longest} bytes long; the limit is ${smtp.maxHeaderLineBytes}`, 6, 0));
  }

  const raw = await messageBytes(txn);
  // Before the scanner adds its header: the fingerprint covers only what the sender sent.
  txn.notes[FINGERPRINT] = messageFingerprint(txn, raw);
  const scan = await applyScanner(txn, raw);
  if (scan === 'tempfail') {
    txn.results.add(plugin, { fail: 'scanner:unavailable' });
    messageVerdicts.inc({ result: 'tempfailed', reason: 'scanner-unavailable' });
    return next(codes.DENYSOFT, dsn.create(451, 'Content scanner unavailable, try again later', 7, 1));
  }

  let repeated: string[];
  try {
    // Within Kura's budget for this phase, so the client gets this 451 rather than Haraka's hook timeout.
    repeated = await withTimeout(repeatedRecipients(txn, raw), smtp.lookupTimeoutMs, 'the repeat check');
  } catch (err) {
    txn.results.add(plugin, { fail: 'loop:repeat-check-unavailable', err: (err as Error).message });
    messageVerdicts.inc({ result: 'tempfailed', reason: 'repeat-check-unavailable' });
    return next(codes.DENYSOFT, dsn.sys_unspecified('Mail store temporarily unavailable, try again later', 451));
  }
  if (repeated.length > 0) {
    txn.results.add(plugin, { fail: `loop:repeat:${repeated.join(',')}` });
    messageVerdicts.inc({ result: 'tempfailed', reason: 'repeat' });
    return next(
      codes.DENYSOFT,
      dsn.create(451, `Same message received too often for ${repeated.join(', ')}; possible mail loop, try later`, 4, 6),
    );
  }
  next();
}

/** Runs the optional scanner; marks junk for delivery and records the verdict in a header. */
async function applyScanner(txn: HarakaTransaction, raw: Buffer): Promise<'tempfail' | undefined> {
  const { scanner } = inboundConfig().smtp;
  if (!scanner.command) return undefined;
  const { verdict, detail } = await scanMessage(raw, { ...scanner, command: scanner.command });
  scanVerdicts.inc({ verdict });
  if (verdict === 'skipped' && scanner.onScannerUnavailable === 'tempfail') return 'tempfail';
  txn.notes[JUNK] = verdict === 'junk';
  txn.add_leading_header('X-Kura-Scan', verdict === 'skipped' ? `skipped (${detail})` : verdict);
  return undefined;
}

async function repeatedRecipients(txn: HarakaTransaction, raw: Buffer): Promise<string[]> {
  const { smtp } = inboundConfig();
  const recipients = Object.keys((txn.notes[ACCEPTED] ?? {}) as Record<string, string>);
  if (recipients.length === 0) return [];
  const fingerprint = loopFingerprint(txn, raw);
  const store = await getStore();
  const over: string[] = [];
  for (const recipient of recipients) {
    const count = await countRepeat(store.redis, `${fingerprint}:${recipient.toLowerCase()}`, smtp.repeatWindowSeconds);
    if (count > smtp.repeatThreshold) over.push(recipient);
  }
  return over;
}

/** Length of the longest physical line of the header (folded headers count line by line). */
export function longestHeaderLine(headers: string[]): number {
  let longest = 0;
  for (const header of headers) for (const line of header.split(/\r?\n/)) longest = Math.max(longest, line.length);
  return longest;
}
