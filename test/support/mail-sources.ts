import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A message a fixture source holds, and what Kura must show for it after import. */
export interface Expected {
  /** Kura mailbox path it must land in. */
  mailbox: string;
  /** Bytes as on disk (the import converts bare LF to CRLF and nothing else). */
  raw: Buffer;
  flags: string[];
  date?: Date;
}

let counter = 0;

export function message(subject: string, body: string, extraHeaders: string[] = []): string {
  counter++;
  return [
    'From: Old Server <old@example.edu>',
    'To: someone@example.edu',
    `Subject: ${subject}`,
    `Message-ID: <fixture-${counter}-${crypto.randomBytes(4).toString('hex')}@example.edu>`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    ...extraHeaders,
    '',
    body,
  ].join('\n');
}

function put(dir: string, name: string, raw: Buffer | string, mtime?: Date): Buffer {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, raw);
  if (mtime) fs.utimesSync(file, mtime, mtime);
  return Buffer.from(raw);
}

/**
 * A Dovecot-style Maildir++ tree with the odd cases of a real spool: keywords,
 * deep folders, 8-bit headers, no final newline, a large attachment, a file that is
 * not a message, an empty file and a dangling link (the last two cannot be stored).
 */
export function buildMaildir(root: string, options: { bigBytes: number }): { expected: Expected[]; unstorable: string[] } {
  const expected: Expected[] = [];
  const folder = (segments: string[]) => (segments.length ? path.join(root, `.${segments.join('.')}`) : root);
  for (const segments of [[], ['Sent'], ['Archive'], ['Archive', '2024'], ['Archive', '2024', 'Q1'], ['Gr&APwA3w-e']]) {
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(folder(segments), sub), { recursive: true });
    if (segments.length) fs.writeFileSync(path.join(folder(segments), 'maildirfolder'), '');
  }
  fs.writeFileSync(path.join(root, 'dovecot-keywords'), '0 $Work\n1 NonJunk\n');
  const at = (iso: string) => new Date(iso);
  const add = (segments: string[], mailbox: string, sub: 'cur' | 'new', name: string, raw: string | Buffer, flags: string[], date: Date) =>
    expected.push({ mailbox, raw: put(path.join(folder(segments), sub), name, raw, date), flags, date }) - 1;

  add([], 'INBOX', 'cur', '1772000001.M1P1.old,S=100:2,S', message('seen', 'plain body\n'), ['\\Seen'], at('2026-02-25T06:13:21Z'));
  add(
    [],
    'INBOX',
    'cur',
    '1772000002.M2P1.old:2,FRSab',
    message('keywords', 'flagged, answered, two keywords\n'),
    ['$Work', 'NonJunk', '\\Answered', '\\Flagged', '\\Seen'],
    at('2026-02-25T07:00:00Z'),
  );
  add([], 'INBOX', 'new', '1772000003.M3P1.old', message('unread in new/', 'no info at all\n'), [], at('2026-02-26T08:00:00Z'));
  add(
    [],
    'INBOX',
    'cur',
    '1772000004.M4P1.old:2,',
    message('Grüße aus Köln – 8-bit header', 'Umlaute im Text: äöü\n'),
    [],
    at('2026-02-27T09:00:00Z'),
  );
  add(
    [],
    'INBOX',
    'cur',
    '1772000005.M5P1.old:2,S',
    message('no final newline', 'the last line ends without a newline'),
    ['\\Seen'],
    at('2026-02-27T10:00:00Z'),
  );
  add(
    [],
    'INBOX',
    'cur',
    '1772000006.M6P1.old:2,S',
    message('CRLF already', 'line one\r\nline two\r\n').replace(/\r?\n/g, '\r\n'),
    ['\\Seen'],
    at('2026-02-27T11:00:00Z'),
  );
  // Two identical copies: both must arrive (a content hash is not a reason to merge).
  const twin = message('twin', 'same bytes twice\n');
  add([], 'INBOX', 'cur', '1772000007.M7P1.old:2,S', twin, ['\\Seen'], at('2026-02-28T00:00:00Z'));
  add([], 'INBOX', 'cur', '1772000008.M8P1.old:2,S', twin, ['\\Seen'], at('2026-02-28T00:00:01Z'));
  const big = crypto.randomBytes(options.bigBytes).toString('base64').replace(/.{76}/g, '$&\n');
  add(
    [],
    'INBOX',
    'cur',
    '1772000009.M9P1.old:2,S',
    message(
      'large attachment',
      [
        '--b',
        'Content-Type: text/plain',
        '',
        'see attachment',
        '--b',
        'Content-Type: application/octet-stream',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="big.bin"',
        '',
        big,
        '--b--',
        '',
      ].join('\n'),
      ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
    ),
    ['\\Seen'],
    at('2026-03-01T00:00:00Z'),
  );
  // Not a message at all (no header): stored as it is, and reported.
  add(
    [],
    'INBOX',
    'cur',
    '1772000010.M10P1.old:2,S',
    Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x41, 0x42, 0x0a]),
    ['\\Seen'],
    at('2026-03-01T01:00:00Z'),
  );
  add(
    ['Sent'],
    'Sent Mail',
    'cur',
    '1772000011.M11P1.old:2,S',
    message('sent by the user', 'hello\n'),
    ['\\Seen'],
    at('2026-03-01T02:00:00Z'),
  );
  add(
    ['Archive'],
    'Archive',
    'cur',
    '1772000012.M12P1.old:2,ST',
    message('deleted but not expunged', 'x\n'),
    ['\\Deleted', '\\Seen'],
    at('2026-03-01T03:00:00Z'),
  );
  add(
    ['Archive', '2024'],
    'Archive/2024',
    'cur',
    '1772000013.M13P1.old:2,D',
    message('draft', 'unfinished\n'),
    ['\\Draft'],
    at('2024-05-01T03:00:00Z'),
  );
  add(
    ['Archive', '2024', 'Q1'],
    'Archive/2024/Q1',
    'cur',
    '1772000014.M14P1.old:2,P',
    message('deep', 'three levels\n'),
    ['$Forwarded'],
    at('2024-01-01T03:00:00Z'),
  );
  add(
    ['Gr&APwA3w-e'],
    'Grüße',
    'cur',
    '1772000015.M15P1.old:2,S',
    message('utf-7 folder name', 'x\n'),
    ['\\Seen'],
    at('2026-03-01T04:00:00Z'),
  );

  put(path.join(root, 'cur'), '1772000020.M20P1.old:2,S', '');
  fs.symlinkSync(path.join(root, 'gone-before-the-migration'), path.join(root, 'cur', '1772000021.M21P1.old:2,S'));
  return { expected, unstorable: ['cur/1772000020.M20P1.old:2,S', 'cur/1772000021.M21P1.old:2,S'] };
}

/** An mboxrd file with From_ quoting, status headers and a last message without a final newline. */
export function buildMbox(file: string): Expected[] {
  const messages = [
    {
      raw: message('quoted From lines', 'From the start of a line\n>From already quoted\n\nFrom after a blank line\n'),
      flags: ['\\Seen'],
      status: 'RO',
      xStatus: '',
    },
    { raw: message('flagged and answered', 'body\n'), flags: ['\\Answered', '\\Flagged', '\\Seen'], status: 'RO', xStatus: 'AF' },
    { raw: message('unread, no final newline', 'end'), flags: [], status: 'O', xStatus: '' },
  ];
  const quote = (text: string) => text.replace(/^(>*From )/gm, '>$1');
  const parts: string[] = [];
  const expected: Expected[] = [];
  messages.forEach((m, i) => {
    const withStatus = m.raw.replace('\n\n', `\nStatus: ${m.status}\n${m.xStatus ? `X-Status: ${m.xStatus}\n` : ''}\n`);
    const date = new Date(Date.UTC(2025, 10, 20 + i, 12, 30, 0));
    const asctime = `${date.toUTCString().slice(0, 3)} ${date.toUTCString().slice(8, 11)} ${date.getUTCDate()} 12:30:00 2025`;
    parts.push(`From sender${i}@example.org ${asctime}\n${quote(withStatus)}${withStatus.endsWith('\n') ? '' : '\n'}\n`);
    // An mbox writer ends every message with a newline: that one is the only byte an mbox adds.
    expected.push({ mailbox: 'INBOX', raw: Buffer.from(withStatus.endsWith('\n') ? withStatus : `${withStatus}\n`), flags: m.flags, date });
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, parts.join(''));
  return expected;
}

/** A plain Maildir of `count` small messages (for kill-and-resume and POP3 runs). */
export function buildBulkMaildir(root: string, count: number): Buffer[] {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const raw = message(`bulk ${i}`, `message number ${i}\n${'filler line\n'.repeat(20)}`);
    out.push(put(path.join(root, 'cur'), `${1770000000 + i}.M${i}P1.old:2,S`, raw));
  }
  return out;
}
