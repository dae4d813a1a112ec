import iconv from 'iconv-lite';

/** Special-use mailboxes WildDuck creates for every user, and the names old servers gave them. */
const SPECIAL_USE: Array<[RegExp, string]> = [
  [/^(sent|sent[ _-]?(items|mail|messages)|gesendet|gesendete objekte|envoy[ée]s)$/i, '\\Sent'],
  [/^(trash|deleted[ _-]?(items|messages)|papierkorb|gel[öo]schte objekte|corbeille)$/i, '\\Trash'],
  [/^(junk|spam|junk[ _-]?(e-?mail|mail)|bulk mail)$/i, '\\Junk'],
  [/^(drafts?|entw[üu]rfe|brouillons)$/i, '\\Drafts'],
  [/^(archives?|archiv)$/i, '\\Archive'],
];

/** The special use a top-level source folder stands for, if its name says so. */
export function specialUseOf(path: string): string | undefined {
  if (path.includes('/')) return undefined;
  return SPECIAL_USE.find(([pattern]) => pattern.test(path))?.[1];
}

/** IMAP's modified UTF-7 (RFC 3501 5.1.3), as Dovecot and Courier write folder names on disk. */
export function decodeFolderName(name: string): string {
  if (!name.includes('&')) return name;
  try {
    return iconv.decode(Buffer.from(name), 'utf-7-imap');
  } catch {
    return name;
  }
}

/** A Kura mailbox path from source path segments ("INBOX" for the root). */
export function mailboxPath(segments: string[]): string {
  const parts = segments.map(decodeFolderName).filter(Boolean);
  if (!parts.length) return 'INBOX';
  // "INBOX.Sub" under Courier's namespace and "INBOX/Sub" mean the same folder.
  if (parts[0]?.toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts.join('/');
}
