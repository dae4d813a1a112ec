import crypto from 'node:crypto';

const CRLF = '\r\n';

export function plainMessage(to: string, subject: string, body = 'Hello from the test suite.\r\n.line starting with a dot\r\n'): Buffer {
  return Buffer.from(
    [
      `From: Sender <sender@example.org>`,
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@example.org>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      body,
    ].join(CRLF),
  );
}

/** multipart/mixed with a text part and a random binary attachment of `bytes` bytes (base64, 76-column lines). */
export function multipartMessage(to: string, subject: string, bytes: number): Buffer {
  const boundary = `----kura-${crypto.randomUUID()}`;
  const attachment = crypto.randomBytes(bytes).toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return Buffer.from(
    [
      'From: Sender <sender@example.org>',
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@example.org>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the attachment.',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment.trimEnd(),
      `--${boundary}--`,
      '',
    ].join(CRLF),
  );
}

/** Raw 8-bit UTF-8 in headers and body (needs SMTPUTF8 / 8BITMIME). */
export function utf8Message(to: string): Buffer {
  return Buffer.from(
    [
      'From: Jürgen Müller <jürgen@exämple.org>',
      `To: <${to}>`,
      'Subject: Grüße aus 蔵 — ½ price ☃',
      `Message-ID: <${crypto.randomUUID()}@example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Schöne Grüße, 蔵 (kura) means storehouse. Ελληνικά, русский, עברית.',
      '',
    ].join(CRLF),
    'utf8',
  );
}
