import { messageSource, type Store } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { findAccount } from './account.js';
import { contentHash, toWireForm } from './content.js';
import { normalizeFlags } from './flags.js';
import { type ScannedSource, scanSource, targetMailbox } from './import-user.js';
import type { SourceOptions } from './source.js';

export interface FolderVerification {
  path: string;
  mailbox: string | null;
  source: { messages: number; bytes: number };
  kura: { messages: number; bytes: number };
  /** Source messages with no copy of the same bytes in Kura. */
  missing: string[];
  /** Messages whose bytes match but whose flags differ (the user may have changed them since). */
  flagsDiffer: Array<{ message: string; source: string[]; kura: string[] }>;
  /** Kura messages with no source counterpart (mail delivered to Kura since, or moved in). */
  extra: number;
  ok: boolean;
}

export interface UserVerification {
  user: string;
  source: string;
  folders: FolderVerification[];
  ok: boolean;
  seconds: number;
}

/**
 * Compares a source with Kura folder by folder: every source message must have a
 * Kura message with the same bytes (as IMAP serves them: rebuilt from the store,
 * hashed), and the same flags. Counts and byte totals are reported beside.
 */
export async function verifyUser(
  store: Store,
  request: {
    user: string;
    source: string;
    sourceOptions?: SourceOptions;
    onProgress?: (step: { messages: number; bytes: number }) => void;
  },
  scanned?: ScannedSource,
): Promise<UserVerification> {
  const started = Date.now();
  const account = await findAccount(store, request.user);
  const source = scanned ?? (await scanSource(request.source, request.sourceOptions));
  try {
    return await verifyScanned(store, request, account.username, account.id, source, started);
  } finally {
    if (!scanned) await source.close();
  }
}

async function verifyScanned(
  store: Store,
  request: { source: string; onProgress?: (step: { messages: number; bytes: number }) => void },
  username: string,
  user: ObjectId,
  source: ScannedSource,
  started: number,
): Promise<UserVerification> {
  const kuraByMailbox = new Map<string, KuraIndex>();
  const folders: FolderVerification[] = [];

  for (const { folder, refs } of source.folders) {
    const mailbox = await targetMailbox(store, user, folder, false);
    const result: FolderVerification = {
      path: folder.path,
      mailbox: mailbox?.path ?? null,
      source: { messages: refs.length, bytes: 0 },
      kura: { messages: 0, bytes: 0 },
      missing: [],
      flagsDiffer: [],
      extra: 0,
      ok: true,
    };
    let kura = mailbox ? kuraByMailbox.get(mailbox.path) : undefined;
    if (mailbox && !kura) {
      kura = { exact: new Map(), all: [] };
      kuraByMailbox.set(mailbox.path, kura);
      // Ids first, then documents in small batches: rebuilding reads attachments, and a cursor
      // left open that long may be gone on the server.
      const messages = store.db.collection('messages');
      const ids = (await messages.find({ mailbox: mailbox._id }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
      for (let i = 0; i < ids.length; i += 50) {
        const docs = await messages.find({ _id: { $in: ids.slice(i, i + 50) } }, { projection: { mimeTree: 1, flags: 1 } }).toArray();
        for (const doc of docs) {
          const bytes = await messageSource(store, doc.mimeTree);
          result.kura.messages++;
          result.kura.bytes += bytes.length;
          const entry: KuraEntry = { flags: normalizeFlags((doc.flags as string[]) ?? []), used: false };
          kura.all.push(entry);
          push(kura.exact, contentHash(bytes), entry);
        }
      }
    }
    for (const ref of refs) {
      let hash: string | undefined;
      try {
        const wire = toWireForm(await ref.read());
        result.source.bytes += wire.length;
        hash = contentHash(wire);
      } catch {
        hash = undefined;
      }
      const wanted = normalizeFlags(ref.flags);
      const found = hash && kura ? take(kura.exact.get(hash), wanted) : undefined;
      if (!found) {
        result.missing.push(ref.id);
      } else {
        if (found.flags.join(' ') !== wanted.join(' ')) result.flagsDiffer.push({ message: ref.id, source: wanted, kura: found.flags });
      }
      request.onProgress?.({ messages: 1, bytes: ref.size });
    }
    folders.push(result);
  }
  // What is left in Kura had no source message; counted on the first folder that uses the mailbox.
  for (const [path, kura] of kuraByMailbox) {
    const owner = folders.find((f) => f.mailbox === path);
    if (owner) owner.extra = kura.all.filter((e) => !e.used).length;
  }
  for (const folder of folders) folder.ok = folder.missing.length === 0 && folder.flagsDiffer.length === 0;
  return {
    user: username,
    source: request.source,
    folders,
    ok: folders.every((f) => f.ok),
    seconds: (Date.now() - started) / 1000,
  };
}

interface KuraEntry {
  flags: string[];
  used: boolean;
}

interface KuraIndex {
  exact: Map<string, KuraEntry[]>;
  all: KuraEntry[];
}

function push(map: Map<string, KuraEntry[]>, key: string, entry: KuraEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

/** An unused copy, preferring one whose flags match (so identical messages pair up right). */
function take(list: KuraEntry[] | undefined, flags: string[]): KuraEntry | undefined {
  const free = list?.filter((e) => !e.used) ?? [];
  const found = free.find((e) => e.flags.join(' ') === flags.join(' ')) ?? free[0];
  if (found) found.used = true;
  return found;
}
