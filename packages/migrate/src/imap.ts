import { ImapFlow } from 'imapflow';
import { mailboxPath } from './folders.js';
import type { SourceFolder, SourceMessageRef } from './source.js';

export interface ImapSourceOptions {
  /** Password when the URL has none (so that it stays out of process listings). */
  password?: string;
}

/** An old IMAP server as a source: `imap://login[:password]@host[:port]` (or `imaps://`). */
export function isImapUrl(location: string): boolean {
  return /^imaps?:\/\//i.test(location);
}

/**
 * Every folder of an IMAP account, read over one connection (read-only: nothing on the
 * old server changes, \Seen included). SPECIAL-USE attributes say where Sent, Trash …
 * go; flags, keywords and internal dates come as the server reports them.
 */
export async function imapFolders(location: string, options: ImapSourceOptions = {}): Promise<SourceFolder[]> {
  const url = new URL(location);
  const secure = url.protocol === 'imaps:';
  const pass = decodeURIComponent(url.password) || options.password;
  if (!url.username || !pass)
    throw new Error(`${redact(location)}: give the login in the URL and the password in the URL or KURA_IMAP_PASSWORD`);
  const client = new ImapFlow({
    host: url.hostname,
    port: Number(url.port) || (secure ? 993 : 143),
    secure,
    auth: { user: decodeURIComponent(url.username), pass },
    logger: false,
    // Old campus servers often carry self-signed certificates; the operator chose this server by name.
    tls: { rejectUnauthorized: false },
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot log in to ${redact(location)}: ${(err as Error).message}`);
  }
  const boxes = (await client.list()).filter((box) => !box.flags.has('\\Noselect') && !box.flags.has('\\NonExistent'));
  let open: string | undefined;
  const select = async (path: string) => {
    if (open === path) return;
    await client.mailboxOpen(path, { readOnly: true });
    open = path;
  };
  const folders: SourceFolder[] = boxes.map((box) => ({
    path: box.path.toUpperCase() === 'INBOX' ? 'INBOX' : mailboxPath([...(box.parent ?? []), box.name]),
    location: `${redact(location)}/${box.path}`,
    specialUse: box.specialUse && box.specialUse !== '\\Inbox' && box.specialUse !== '\\All' ? box.specialUse : undefined,
    async list() {
      await select(box.path);
      const exists = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
      if (!exists) return [];
      const refs: SourceMessageRef[] = [];
      for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true })) {
        const uid = m.uid;
        refs.push({
          id: `UID ${uid}`,
          size: m.size ?? 0,
          date: m.internalDate instanceof Date ? m.internalDate : m.internalDate ? new Date(m.internalDate) : undefined,
          flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'),
          notes: [],
          read: async () => {
            await select(box.path);
            const one = await client.fetchOne(String(uid), { source: true }, { uid: true });
            if (!one || !one.source) throw new Error(`UID ${uid} is gone from ${box.path}`);
            return one.source;
          },
        });
      }
      return refs;
    },
  }));
  closers.set(folders, () => client.logout().catch(() => client.close()));
  return folders;
}

const closers = new WeakMap<SourceFolder[], () => Promise<unknown>>();

/** Ends the connection behind folders from `imapFolders` (nothing to do for files). */
export async function closeSource(folders: SourceFolder[]): Promise<void> {
  await closers.get(folders)?.();
}

function redact(location: string): string {
  return location.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
