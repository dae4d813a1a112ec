import fs from 'node:fs/promises';
import path from 'node:path';
import { mailboxPath } from './folders.js';
import { imapFolders, isImapUrl } from './imap.js';
import { type MaildirDate, maildirFolders } from './maildir.js';
import { type MboxQuoting, readMbox, readMboxRange } from './mbox.js';

/** One message of a source folder, read only when needed. */
export interface SourceMessageRef {
  /** Where it is inside its folder (file name, or mbox position): what a report names. */
  id: string;
  /** Bytes on disk (before line ends are converted). */
  size: number;
  date: Date | undefined;
  flags: string[];
  /** Oddities found while listing (unknown flag letters). */
  notes: string[];
  read(): Promise<Buffer>;
}

export interface SourceFolder {
  /** The Kura mailbox path ("INBOX", "Archive/2024"). */
  path: string;
  /** Where it lives (directory, file or IMAP folder). */
  location: string;
  /** SPECIAL-USE the source declares (IMAP); otherwise the name decides. */
  specialUse?: string;
  list(): Promise<SourceMessageRef[]>;
}

export type SourceFormat = 'maildir' | 'mbox';

export interface SourceOptions {
  /** Password for an IMAP source whose URL has none. */
  imapPassword?: string;
  format?: SourceFormat | 'auto';
  maildirDate?: MaildirDate;
  mboxQuoting?: MboxQuoting;
}

/** What lives at `location`: a Maildir tree, an mbox file, or a directory tree of mbox files. */
export async function detectFormat(location: string): Promise<SourceFormat> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new Error(`${location} does not exist`);
  if (stat.isFile()) return 'mbox';
  const entries = await fs.readdir(location);
  if (entries.includes('cur') || entries.includes('new') || entries.some((e) => e.startsWith('.') && e.length > 1 && e !== '..'))
    return 'maildir';
  return 'mbox';
}

export async function openSource(location: string, options: SourceOptions = {}): Promise<SourceFolder[]> {
  if (isImapUrl(location)) return imapFolders(location, { password: options.imapPassword });
  const format = !options.format || options.format === 'auto' ? await detectFormat(location) : options.format;
  return format === 'maildir'
    ? maildirFolders(location, { date: options.maildirDate })
    : mboxFolders(location, options.mboxQuoting ?? 'mboxrd');
}

/**
 * mbox sources: one file is INBOX; a directory holds one file per folder, with
 * subdirectories for the hierarchy (a file named "inbox" is INBOX). Index files
 * that mail clients keep beside (.msf, .idx, .lock) are skipped.
 */
export async function mboxFolders(location: string, quoting: MboxQuoting): Promise<SourceFolder[]> {
  const stat = await fs.stat(location);
  if (stat.isFile()) return [mboxFolder(location, 'INBOX', quoting)];
  const out: SourceFolder[] = [];
  const walk = async (dir: string, segments: string[]) => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        // Thunderbird keeps "Folder.sbd/" beside the "Folder" file.
        await walk(full, [...segments, entry.name.replace(/\.sbd$/, '')]);
      } else if (entry.isFile() && !/\.(msf|idx|lock|dat|db|index|summary)$/i.test(entry.name)) {
        out.push(mboxFolder(full, mailboxPath([...segments, entry.name]), quoting));
      }
    }
  };
  await walk(location, []);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function mboxFolder(file: string, folderPath: string, quoting: MboxQuoting): SourceFolder {
  return {
    path: folderPath,
    location: file,
    async list() {
      // One pass finds the messages; each is read again by its byte range when imported,
      // so a folder of many GB never sits in memory.
      const refs: SourceMessageRef[] = [];
      for await (const message of readMbox(file, quoting)) {
        const { start, end } = message;
        refs.push({
          id: `#${message.index}@${message.offset}`,
          size: message.raw.length,
          date: message.date,
          flags: message.flags,
          notes: message.date ? [] : ['From_ line without a readable date: import time used'],
          read: () => readMboxRange(file, start, end, quoting),
        });
      }
      return refs;
    },
  };
}
