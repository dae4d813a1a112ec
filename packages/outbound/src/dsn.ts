import crypto from 'node:crypto';
import type { RecipientFailure } from '@kura/store';

export interface DsnInput {
  /** This node's name (Reporting-MTA). */
  hostname: string;
  /** The envelope sender of the failed message: the bounce goes to it. */
  sender: string;
  /** When Kura accepted the message. */
  arrival: Date;
  failures: RecipientFailure[];
  /** The original message; only its header block is returned (RFC 3462's text/rfc822-headers). */
  original: Buffer;
}

/**
 * One delivery status notification (RFC 3464) for the recipients of a message
 * that failed for good: multipart/report with a short text in English and
 * Japanese, the machine-readable message/delivery-status, and the original
 * header block (not the body: the sender has it, and it may be large).
 */
export function buildDsn(input: DsnInput, now = new Date()): Buffer {
  const boundary = `kura-dsn-${crypto.randomBytes(12).toString('hex')}`;
  const originalHeaders = headerBlock(input.original);
  const subject = headerValue(originalHeaders, 'subject');
  const messageId = headerValue(originalHeaders, 'message-id');
  const lines = input.failures.map((f) => `  <${f.address}>: ${f.message || `${f.code}`}`);
  const human = [
    `This is the mail system at ${input.hostname}.`,
    '',
    'Your message could not be delivered to the following recipients.',
    'It was not delivered to them and will not be retried.',
    '',
    ...lines,
    '',
    `${input.hostname} のメールシステムからのお知らせです。`,
    '次の宛先にメールを配送できませんでした。再送は行いません。',
    '',
    ...lines,
    '',
    subject ? `Subject: ${subject}` : '',
  ].join('\r\n');
  const perMessage = [`Reporting-MTA: dns; ${input.hostname}`, `Arrival-Date: ${input.arrival.toUTCString()}`].join('\r\n');
  const perRecipient = input.failures.map((f) =>
    [
      `Final-Recipient: rfc822; ${f.address}`,
      'Action: failed',
      `Status: ${statusCode(f)}`,
      ...(f.remoteHost ? [`Remote-MTA: dns; ${f.remoteHost}`] : []),
      ...(f.code ? [`Diagnostic-Code: smtp; ${oneLine(f.message)}`] : [`Diagnostic-Code: x-kura; ${oneLine(f.message)}`]),
      `Last-Attempt-Date: ${now.toUTCString()}`,
    ].join('\r\n'),
  );
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.hostname}>`,
    `To: <${input.sender}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${crypto.randomUUID()}@${input.hostname}>`,
    ...(messageId ? [`In-Reply-To: ${messageId}`, `References: ${messageId}`] : []),
    // A bounce never triggers an auto-reply or another bounce (RFC 3834, RFC 3464 section 6.2).
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ].join('\r\n');
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    wrap(Buffer.from(human, 'utf8').toString('base64')),
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    [perMessage, ...perRecipient].join('\r\n\r\n'),
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');
}

/** The enhanced status code of the reply if it carries one (550 5.1.1 …), else one that says the kind of failure. */
export function statusCode(failure: RecipientFailure): string {
  const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(failure.message);
  if (enhanced && enhanced[1] === '5') return `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}`;
  if (failure.code >= 500) return '5.0.0';
  // Kura gave up by itself: the message stayed undeliverable for the queue's lifetime (RFC 3463 4.4.7).
  return failure.code === 0 && /suppress/i.test(failure.message) ? '5.7.1' : '4.4.7';
}

function headerBlock(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n');
  const text = raw.subarray(0, end < 0 ? Math.min(raw.length, 65536) : end + 2).toString('utf8');
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}

function headerValue(headers: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers);
  return match?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() || undefined;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const wrap = (base64: string) => base64.replace(/.{1,76}/g, '$&\r\n').trimEnd();
