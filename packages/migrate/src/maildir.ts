import fs from 'node:fs/promises';
import path from 'node:path';
import { maildirBaseName, maildirFlags, parseDovecotKeywords } from './flags.js';
import { mailboxPath } from './folders.js';
import type { SourceFolder, SourceMessageRef } from './source.js';

export type MaildirDate = 'mtime' | 'filename';

async function isMaildir(dir: string): Promise<boolean> {
  const [cur, neu] = await Promise.all(['cur', 'new'].map((sub) => fs.stat(path.join(dir, sub)).catch(() => undefined)));
  return Boolean(cur?.isDirectory() || neu?.isDirectory());
}

/**
 * The folders of a Maildir tree. Maildir++ (Dovecot's default, Courier): the root is
 * INBOX and `.A.B` is folder A/B. Dovecot's LAYOUT=fs: nested directories that each
 * hold cur/ and new/. Both may appear in one tree.
 */
export async function maildirFolders(root: string, options: { date?: MaildirDate } = {}): Promise<SourceFolder[]> {
  if (!(await fs.stat(root).catch(() => undefined))?.isDirectory()) throw new Error(`${root} is not a directory`);
  const found: Array<{ dir: string; segments: string[] }> = [];
  const walk = async (dir: string, segments: string[]) => {
    if (await isMaildir(dir)) found.push({ dir, segments });
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isDirectory() || ['cur', 'new', 'tmp'].includes(entry.name)) continue;
      const child = path.join(dir, entry.name);
      if (entry.name.startsWith('.') && segments.length === 0) {
        if (entry.name === '.' || entry.name === '..' || !(await isMaildir(child))) continue;
        found.push({ dir: child, segments: entry.name.slice(1).split('.') });
      } else if (!entry.name.startsWith('.')) {
        await walk(child, [...segments, entry.name]);
      }
    }
  };
  await walk(root, []);
  if (!found.length) throw new Error(`${root} holds no Maildir (no cur/ or new/ directory anywhere below it)`);
  return found
    .sort((a, b) => a.segments.join('/').localeCompare(b.segments.join('/')))
    .map(({ dir, segments }) => maildirFolder(dir, mailboxPath(segments), options.date ?? 'mtime'));
}

function maildirFolder(dir: string, folderPath: string, dateFrom: MaildirDate): SourceFolder {
  return {
    path: folderPath,
    location: dir,
    async list() {
      const keywords = parseDovecotKeywords(await fs.readFile(path.join(dir, 'dovecot-keywords'), 'utf8').catch(() => ''));
      const order = await uidOrder(dir);
      const refs: Array<SourceMessageRef & { sortKey: [number, number, string] }> = [];
      for (const sub of ['cur', 'new']) {
        const names = await fs.readdir(path.join(dir, sub)).catch(() => [] as string[]);
        for (const name of names) {
          if (name.startsWith('.')) continue;
          const file = path.join(dir, sub, name);
          const stat = await fs.stat(file).catch((err: Error) => err);
          if (stat instanceof Error) {
            // Listed and then reported as set aside: a file that cannot be read is never skipped silently.
            refs.push({
              id: `${sub}/${name}`,
              size: 0,
              date: undefined,
              flags: [],
              notes: [],
              read: () => Promise.reject(stat),
              sortKey: [Number.MAX_SAFE_INTEGER, 0, name],
            });
            continue;
          }
          if (!stat.isFile()) continue;
          const { flags, unknown } = maildirFlags(name, keywords);
          const stamp = Number(/^(\d{9,11})\./.exec(name)?.[1]);
          const date = dateFrom === 'filename' && stamp ? new Date(stamp * 1000) : stat.mtime;
          const base = maildirBaseName(name);
          refs.push({
            id: `${sub}/${name}`,
            size: stat.size,
            date,
            flags,
            notes: unknown.length ? [`unknown flag letters "${unknown.join('')}" (no dovecot-keywords entry)`] : [],
            read: () => fs.readFile(file),
            sortKey: [order.get(base) ?? Number.MAX_SAFE_INTEGER, date.getTime(), name],
          });
        }
      }
      // The old server's UID order when dovecot-uidlist has it, otherwise by date: new UIDs keep the order.
      refs.sort((a, b) => a.sortKey[0] - b.sortKey[0] || a.sortKey[1] - b.sortKey[1] || a.sortKey[2].localeCompare(b.sortKey[2]));
      return refs.map(({ sortKey: _, ...ref }) => ref);
    },
  };
}

/** Old UIDs by file base name, from Dovecot's dovecot-uidlist ("<uid> [ext] :<basename>"). */
async function uidOrder(dir: string): Promise<Map<string, number>> {
  const text = await fs.readFile(path.join(dir, 'dovecot-uidlist'), 'utf8').catch(() => '');
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const match = /^(\d+)\s.*?:(\S+)\s*$/.exec(line) ?? /^(\d+)\s+(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) out.set(maildirBaseName(match[2]), Number(match[1]));
  }
  return out;
}
