/**
 * Kura's own corpus of pathological MIME messages. Each message is built from
 * a tree of byte pieces, so the generator knows the exact bytes IMAP must
 * return for every part (BODY[n], BODY[n.MIME]) without parsing its own output.
 *
 * The dimensions are crossed: structure (digests, nesting, unterminated
 * multiparts, parts without headers, message/rfc822 …) × line ends (CRLF,
 * bare LF, mixed with bare CR, no final newline) × spacing around boundaries
 * (preambles, epilogues, blank lines before delimiters) × header oddities
 * (raw UTF-8, RFC 2047, invalid bytes, folding, very long lines).
 */
import { type Leaf, type Multipart, type PartBytes, type Piece, render } from './tree.js';

type Body = Buffer | Multipart;

export interface CorpusMessage {
  name: string;
  raw: Buffer;
  /** Can travel over SMTP unchanged: CRLF only, ends with CRLF, valid UTF-8 headers, a header/body separator. */
  smtp: boolean;
  /** Expected bytes of every addressable part, by IMAP section path. */
  parts: Array<{ path: string; mime?: Buffer; body: Buffer }>;
}

type Eol = 'crlf' | 'crlf-nofinal' | 'lf' | 'mixed';
type Spacing = 'tight' | 'airy' | 'digest';

const HEADER_STYLES = ['ascii', 'utf8', 'rfc2047', 'invalid', 'folded', 'long'] as const;
type HeaderStyle = (typeof HEADER_STYLES)[number];

const b = (s: string) => Buffer.from(s, 'utf8');
const bin = (s: string) => Buffer.from(s, 'latin1');

function rootHeader(style: HeaderStyle, contentType: string, n: number, nl: string): Buffer {
  const lines: Buffer[] = [b(`From: Sender <sender${n}@example.org>`), b('To: <rcpt@example.net>')];
  switch (style) {
    case 'ascii':
      lines.push(b(`Subject: corpus ${n}`));
      break;
    case 'utf8':
      lines.push(b(`Subject: Grüße ${n} — 蔵 ☃`), b('From: Jürgen Müller <jm@example.org>'));
      break;
    case 'rfc2047':
      lines.push(b(`Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_${n}?= =?ISO-8859-1?Q?_caf=E9?=`), b('Cc: =?UTF-8?B?6JS1?= <kura@example.org>'));
      break;
    case 'invalid':
      lines.push(Buffer.concat([b(`Subject: broken ${n} `), Buffer.from([0xff, 0xc3, 0x28, 0x80]), b(' end')]));
      lines.push(Buffer.concat([b('X-Latin1: caf'), Buffer.from([0xe9])]));
      break;
    case 'folded':
      lines.push(b(`Subject: folded ${n}${nl}\tsecond line${nl}   third line`), b(`X-Trailing: spaces   `), b('X-NoSpace:value'));
      break;
    case 'long':
      lines.push(
        b(`Subject: long ${n}`),
        b(`X-Long: ${'x'.repeat(1500)}`),
        b(`References: ${Array.from({ length: 40 }, (_, i) => `<r${i}@example.org>`).join(' ')}`),
      );
      break;
  }
  lines.push(
    b(`Message-ID: <corpus-${n}@example.org>`),
    b('Date: Sun, 29 Nov 2026 10:00:00 +0000'),
    b('MIME-Version: 1.0'),
    b(`Content-Type: ${contentType}`),
  );
  return Buffer.concat(lines.flatMap((line) => [line, b(nl)]));
}

function partHeader(lines: string[], nl: string): Buffer {
  return b(lines.map((l) => `${l}${nl}`).join(''));
}

function text(kind: number, nl: string): Buffer {
  const variants = [
    b(`Plain text.${nl}.line starting with a dot${nl}..two dots${nl}From the start${nl}`),
    b(`trailing spaces   ${nl}${nl}${nl}two blank lines above${nl}\ttab${nl}`),
    b(`${'long line '.repeat(2000)}${nl}`),
    Buffer.concat([b(`8-bit: `), Buffer.from([0xc3, 0xa9, 0xff, 0xfe, 0x00, 0x01]), b(` bytes${nl}`)]),
    b(`=C3=A9 quoted-printable soft break=${nl}continued${nl}`),
    b(''),
  ];
  return variants[kind % variants.length] as Buffer;
}

function base64Attachment(seed: number, lineLength: number, nl: string, bytes = 700 + seed * 13): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) & 0xff;
  const encoded = data.toString('base64');
  const lines: string[] = [];
  // irregular line lengths when lineLength is 0 (some encoders do that)
  for (let pos = 0, i = 0; pos < encoded.length; i++) {
    const len = lineLength || 40 + ((i * 17) % 37);
    lines.push(encoded.slice(pos, pos + len));
    pos += len;
  }
  return b(lines.join(nl) + nl);
}

function leaf(header: string[], body: Buffer, nl: string): Leaf {
  return { header: Buffer.concat([partHeader(header, nl), b(nl)]), body };
}

function multipart(subtype: string, boundary: string, parts: Piece[], spacing: Spacing, nl: string, closed = true): Multipart {
  const preamble =
    spacing === 'tight'
      ? b('')
      : spacing === 'airy'
        ? b(`This is a multi-part message in MIME format.${nl}`)
        : b(`Digest preamble${nl}${nl}`);
  const epilogue = spacing === 'tight' ? b(nl) : spacing === 'airy' ? b(`${nl}${nl}`) : b(`${nl}End of Ppp Digest${nl}***${nl}${nl}`);
  const gap = spacing === 'airy' ? b(nl) : b('');
  return { contentType: `multipart/${subtype}; boundary="${boundary}"`, boundary, preamble, parts, epilogue, closed, gap, nl };
}

function structures(n: number, nl: string, spacing: Spacing): Array<{ name: string; ct: string; body: Body }> {
  const t = (k: number) => leaf(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], text(k + n, nl), nl);
  const html = leaf(['Content-Type: text/html; charset=utf-8'], b(`<p>Hello<br>${nl}world</p>${nl}`), nl);
  const att = (len: number) =>
    leaf(
      [
        'Content-Type: application/octet-stream; name="a.bin"',
        'Content-Disposition: attachment; filename="a.bin"',
        'Content-Transfer-Encoding: base64',
      ],
      base64Attachment(n, len, nl),
      nl,
    );
  const rfc822Header = Buffer.concat([partHeader(['Content-Type: message/rfc822'], nl), b(nl)]);
  const inner = (k: number): Leaf => ({
    header: rfc822Header,
    body: Buffer.concat([partHeader([`Subject: digest item ${k}`, `From: item${k}@example.org`], nl), b(nl), text(k, nl)]),
  });
  const mp = (sub: string, parts: Piece[], closed = true, depth = 0) => multipart(sub, `b${depth}-${n}=_`, parts, spacing, nl, closed);
  const list: Array<{ name: string; ct: string; body: Body }> = [];
  const add = (name: string, body: Body) =>
    list.push({ name, ct: Buffer.isBuffer(body) ? 'text/plain; charset=utf-8' : body.contentType, body });
  add('single', text(n, nl));
  add('mixed-att76', mp('mixed', [t(0), att(76)]));
  add('mixed-att-irregular', mp('mixed', [t(1), att(0)]));
  add('alt-in-mixed', mp('mixed', [mp('alternative', [t(2), html], true, 1), att(64)]));
  add('digest', mp('digest', [inner(1), inner(2), inner(3)]));
  add('rfc822-multipart', mp('mixed', [t(3), { header: rfc822Header, body: nestedMessage(n, nl, spacing) }]));
  add('unterminated', mp('mixed', [t(4), t(5)], false));
  add('nested-unterminated', mp('mixed', [mp('alternative', [t(0), html], false, 1)], false));
  add('related', mp('related', [html, att(76)]));
  add('part-without-header', mp('mixed', [{ header: b(nl), body: text(n + 1, nl) }, t(2)]));
  add(
    'signed',
    mp('signed', [
      t(0),
      leaf(
        ['Content-Type: application/pgp-signature'],
        b(`-----BEGIN PGP SIGNATURE-----${nl}iQE${nl}-----END PGP SIGNATURE-----${nl}`),
        nl,
      ),
    ]),
  );
  add('empty-parts', mp('mixed', [leaf(['Content-Type: text/plain'], b(''), nl), leaf(['Content-Type: text/plain'], b(nl), nl)]));
  return list;
}

/** A multipart message inside a message/rfc822 part. */
function nestedMessage(n: number, nl: string, spacing: Spacing): Buffer {
  const body = multipart('alternative', `inner-${n}`, [leaf(['Content-Type: text/plain'], b(`inner text${nl}`), nl)], spacing, nl);
  return render({ header: Buffer.concat([partHeader(['Subject: forwarded', `Content-Type: ${body.contentType}`], nl), b(nl)]), body }, '')
    .raw;
}

function applyEol(raw: Buffer, eol: Eol): Buffer {
  if (eol !== 'mixed') return raw;
  // bare CR and bare LF inside a body line, CRLF everywhere else
  const marker = raw.indexOf('Plain text.');
  if (marker < 0) return raw;
  return Buffer.concat([raw.subarray(0, marker), b('bare\rCR and bare\nLF '), raw.subarray(marker)]);
}

export function generateCorpus(): CorpusMessage[] {
  const out: CorpusMessage[] = [];
  const eols: Eol[] = ['crlf', 'crlf-nofinal', 'lf', 'mixed'];
  const spacings: Spacing[] = ['tight', 'airy', 'digest'];
  let n = 0;
  let combo = 0;
  for (const eol of eols) {
    const nl = eol === 'lf' ? '\n' : '\r\n';
    for (const spacing of spacings) {
      for (let s = 0; s < 12; s++) {
        combo++;
        for (const style of HEADER_STYLES) {
          // every header style with every structure for CRLF; for the other line ends the styles rotate
          const every = eol === 'crlf';
          if (!every && style !== HEADER_STYLES[combo % HEADER_STYLES.length]) continue;
          n++;
          const structure = structures(n, nl, spacing)[s];
          if (!structure) continue;
          const header = rootHeader(style, structure.ct, n, nl);
          let { raw, parts } = render({ header: Buffer.concat([header, b(nl)]), body: structure.body }, '');
          if (eol === 'crlf-nofinal') {
            const cut = raw.subarray(raw.length - 2).toString() === '\r\n' ? 2 : 0;
            raw = raw.subarray(0, raw.length - cut);
            const length = raw.length;
            // a cut into a header (empty body at the end) leaves only the whole message to compare
            parts = parts.some((p) => p.end - length > p.body.length)
              ? []
              : parts.map((p) => ({ ...p, body: p.end <= length ? p.body : p.body.subarray(0, p.body.length - (p.end - length)) }));
          }
          const mixed = applyEol(raw, eol);
          if (mixed !== raw) ({ raw, parts } = rerender(mixed));
          out.push({
            name: `${n}-${structure.name}-${eol}-${spacing}-${style}`,
            raw,
            smtp: eol === 'crlf' && style !== 'invalid',
            parts: parts.map(({ path, mime, body }) => ({ path, mime, body })),
          });
        }
      }
    }
  }
  out.push(...specials(), ...large());
  return out;
}

/** Messages over the size a store keeps inline (sources of this size live in attachment storage). */
function large(): CorpusMessage[] {
  return (['\r\n', '\n'] as const).map((nl, i) => {
    const attachment = leaf(
      ['Content-Type: application/octet-stream; name="big.bin"', 'Content-Transfer-Encoding: base64'],
      base64Attachment(i + 1, 0, nl, 200 * 1024),
      nl,
    );
    const body = multipart('mixed', `big-${i}`, [leaf(['Content-Type: text/plain'], text(1, nl), nl), attachment], 'digest', nl);
    const { raw, parts } = render({ header: Buffer.concat([rootHeader('utf8', body.contentType, 9000 + i, nl), b(nl)]), body }, '');
    return { name: `large-${nl === '\n' ? 'lf' : 'crlf'}`, raw, smtp: nl === '\r\n', parts };
  });
}

/** Messages whose bytes change, so parts are not tracked: checked as a whole only. */
function rerender(raw: Buffer) {
  return { raw, parts: [] as PartBytes[] };
}

function specials(): CorpusMessage[] {
  const whole = (name: string, raw: Buffer, smtp = false): CorpusMessage => ({ name, raw, smtp, parts: [] });
  return [
    whole('no-header-separator', bin('Subject: only headers\r\nX-A: b\r\n')),
    whole('no-header-at-all', bin('\r\nbody without any header\r\n'), true),
    whole('only-body-line', bin('just one line, no colon, no newline')),
    whole(
      'transport-padding',
      bin('Content-Type: multipart/mixed; boundary=p\r\n\r\n--p   \r\nContent-Type: text/plain\r\n\r\nx\r\n--p-- \r\n'),
      true,
    ),
    whole(
      'boundary-prefix-in-body',
      bin('Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n\r\n--abc not a delimiter\r\n--ab--\r\n'),
      true,
    ),
    whole('cr-only', bin('Subject: cr\rContent-Type: text/plain\r\rbody\rline\r')),
    // (an empty message is refused by APPEND, and NUL needs IMAP BINARY literals: neither is in the corpus)
    whole('control-and-8bit', Buffer.concat([bin('Subject: ctl\r\n\r\n'), Buffer.from([1, 2, 0x1b, 0x80, 0xff, 0x0d, 0x0d, 0x0a])])),
  ];
}
