import crypto from 'node:crypto';

const CRLF = '\r\n';
const WORDS = (
  'library exam schedule campus lecture seminar thesis deadline grant faculty student housing parking network ' +
  'printer account password semester credit tuition research meeting agenda minutes budget report review draft ' +
  'committee office hours lab safety training course syllabus grade transcript enrolment registry archive'
).split(' ');

/** Small deterministic PRNG, so both stacks receive exactly the same mail. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Message sizes of a campus mix: most 5–50 KB, some 50 KB–1 MB, a few
 * 1–20 MB (attachments). Every 25th message is large, every 8th medium.
 */
export function sizeMix(count: number, seed: number, largeMaxBytes = 20 * 1024 * 1024): number[] {
  const next = random(seed);
  const between = (lo: number, hi: number) => Math.round(lo + next() * (hi - lo));
  return Array.from({ length: count }, (_, i) => {
    if (i % 25 === 12) return between(1024 * 1024, largeMaxBytes);
    if (i % 8 === 5) return between(50 * 1024, 1024 * 1024);
    return between(5 * 1024, 50 * 1024);
  });
}

export interface MessageOptions {
  /** Goes into the X-Bench-Id header, which the watcher looks for. */
  id: string;
  to: string;
  bytes: number;
  seed: number;
  /** Extra words for the Subject (e.g. a search needle). */
  subjectExtra?: string;
  /** A word placed once in the body text (a search needle). */
  bodyExtra?: string;
}

/**
 * A plain-text message (or text + base64 attachment above 64 KB) of about
 * `bytes` bytes, CRLF line endings, no line starting with a dot.
 */
export function makeMessage(o: MessageOptions): Buffer {
  const next = random(o.seed);
  const pick = () => WORDS[Math.floor(next() * WORDS.length)];
  const subject = `${pick()} ${pick()} ${pick()}${o.subjectExtra ? ` ${o.subjectExtra}` : ''}`;
  const head = [
    `From: "Registry Office" <registry@campus.example>`,
    `To: <${o.to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${o.id}@bench.example>`,
    `X-Bench-Id: ${o.id}`,
    'MIME-Version: 1.0',
  ];
  const textBytes = Math.min(o.bytes, 48 * 1024);
  const lines: string[] = [];
  let size = 0;
  while (size < textBytes - 600) {
    const words = Array.from({ length: 11 }, pick).join(' ');
    lines.push(words);
    size += words.length + 2;
  }
  // Within the first kilobyte of text: WildDuck's BODY/TEXT search reads only that much of a message's plain
  // text (its MAX_PLAINTEXT_INDEXED, on MongoDB too), so a needle further down would measure a difference in
  // what is searched, not how fast.
  if (o.bodyExtra) lines.splice(Math.min(2, lines.length), 0, `see ${o.bodyExtra} for details`);
  const text = lines.join(CRLF);
  if (o.bytes <= 64 * 1024) {
    return Buffer.from([...head, 'Content-Type: text/plain; charset=us-ascii', '', text, ''].join(CRLF), 'latin1');
  }
  const boundary = `bench-${o.id}`;
  const attachmentBytes = Math.max(0, Math.floor(((o.bytes - text.length - 1024) * 57) / 78));
  const base64 = crypto.randomBytes(attachmentBytes).toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return Buffer.from(
    [
      ...head,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      text,
      `--${boundary}`,
      'Content-Type: application/pdf; name="attachment.pdf"',
      'Content-Disposition: attachment; filename="attachment.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      base64.trimEnd(),
      `--${boundary}--`,
      '',
    ].join(CRLF),
    'latin1',
  );
}
