/**
 * Flags as the old servers wrote them, turned into IMAP flags and keywords
 * (what WildDuck stores in a message's `flags`).
 */

/** Maildir `:2,` info letters (https://cr.yp.to/proto/maildir.html), with Dovecot's P → $Forwarded. */
const MAILDIR_FLAGS: Record<string, string> = {
  S: '\\Seen',
  R: '\\Answered',
  F: '\\Flagged',
  T: '\\Deleted',
  D: '\\Draft',
  P: '$Forwarded',
};

/** Separators Maildir writers use before the info ("2,..."): ':' normally, '!' or ';' where ':' is not allowed. */
const INFO = /[:!;]2,([A-Za-z]*)$/;

/**
 * Flags of one Maildir file name. Lowercase letters are Dovecot keywords: `a` is
 * index 0 of the folder's dovecot-keywords file, `b` index 1, and so on.
 * Letters without a known meaning are reported, not guessed.
 */
export function maildirFlags(fileName: string, keywords: ReadonlyMap<number, string> = new Map()): { flags: string[]; unknown: string[] } {
  const info = INFO.exec(fileName)?.[1] ?? '';
  const flags: string[] = [];
  const unknown: string[] = [];
  for (const letter of info) {
    const known = MAILDIR_FLAGS[letter];
    const keyword = letter >= 'a' && letter <= 'z' ? keywords.get(letter.charCodeAt(0) - 97) : undefined;
    const flag = known ?? keyword;
    if (flag) {
      if (!flags.includes(flag)) flags.push(flag);
    } else unknown.push(letter);
  }
  return { flags, unknown };
}

/** The base name of a Maildir file: everything before the info (what dovecot-uidlist records). */
export function maildirBaseName(fileName: string): string {
  return fileName.replace(/[:!;]2,[A-Za-z]*$/, '');
}

/** Dovecot's `dovecot-keywords` file: "<index> <keyword>" per line. */
export function parseDovecotKeywords(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^(\d+)\s+(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) {
      const keyword = imapKeyword(match[2]);
      if (keyword) out.set(Number(match[1]), keyword);
    }
  }
  return out;
}

/**
 * mbox status headers: `Status: RO` (R read, O old) and `X-Status: AFTD`
 * (answered, flagged, draft, deleted), plus Dovecot's `X-Keywords:`.
 */
export function mboxFlags(headers: { status?: string; xStatus?: string; xKeywords?: string }): string[] {
  const flags: string[] = [];
  const add = (flag: string) => {
    if (!flags.includes(flag)) flags.push(flag);
  };
  for (const letter of headers.status ?? '') if (letter === 'R') add('\\Seen');
  for (const letter of headers.xStatus ?? '') {
    if (letter === 'A') add('\\Answered');
    else if (letter === 'F') add('\\Flagged');
    else if (letter === 'T') add('\\Draft');
    else if (letter === 'D') add('\\Deleted');
  }
  for (const word of (headers.xKeywords ?? '').split(/[\s,]+/)) {
    const keyword = imapKeyword(word);
    if (keyword) add(keyword);
  }
  return flags;
}

/** A keyword as an IMAP atom, or undefined when it cannot be one (system flags are not keywords). */
export function imapKeyword(word: string): string | undefined {
  const trimmed = word.trim();
  if (!trimmed || trimmed.startsWith('\\')) return undefined;
  // atom-specials (RFC 3501): ( ) { SP CTL % * " \ ]
  if (/[(){ %*"\\\]]/.test(trimmed) || [...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return undefined;
  return trimmed;
}

/** Flags in a stable order, \Recent left out (it is a session property, never stored). */
export function normalizeFlags(flags: Iterable<string>): string[] {
  return [...new Set(flags)].filter((f) => f.toLowerCase() !== '\\recent').sort();
}
