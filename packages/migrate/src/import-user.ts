import fs from 'node:fs/promises';
import path from 'node:path';
import { appendMessage, ensureMailbox, type MailboxRecord, type Store, servesUnchanged } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { type Account, findAccount } from './account.js';
import { contentHash, looksBroken, toWireForm } from './content.js';
import { normalizeFlags } from './flags.js';
import { specialUseOf } from './folders.js';
import { closeSource } from './imap.js';
import { openSource, type SourceFolder, type SourceOptions } from './source.js';

export interface UserImportRequest {
  /** Kura username or address. */
  user: string;
  /** Maildir root, mbox file or directory of mbox files. */
  source: string;
  sourceOptions?: SourceOptions;
  dryRun?: boolean;
  /** Import even when the source does not fit the user's remaining quota. */
  allowOverQuota?: boolean;
  /** Messages that cannot be stored are copied here (per user and folder) for a person to look at. */
  setAsideDir?: string;
  signal?: AbortSignal;
  onProgress?: (step: { messages: number; bytes: number }) => void;
}

export interface Problem {
  folder: string;
  message: string;
  problem: string;
  /** Where the bytes were copied, for set-aside messages. */
  copy?: string;
}

export interface FolderImport {
  path: string;
  mailbox: string;
  location: string;
  messages: number;
  bytes: number;
  imported: number;
  importedBytes: number;
  alreadyPresent: number;
}

export interface QuotaCheck {
  quota: number;
  storageUsed: number;
  /** Source bytes not yet in Kura (on disk; CRLF line ends add a little). */
  needed: number;
  fits: boolean;
}

export interface UserImportResult {
  user: string;
  source: string;
  dryRun: boolean;
  quota: QuotaCheck;
  folders: FolderImport[];
  /** Messages that could not be stored: nothing is skipped silently. */
  setAside: Problem[];
  /** Stored as they are, but odd (no header, unknown flag letters, no date). */
  warnings: Problem[];
  seconds: number;
}

export class QuotaExceeded extends Error {
  override name = 'QuotaExceeded';
  constructor(
    message: string,
    readonly check: QuotaCheck,
  ) {
    super(message);
  }
}

/** The source folders with their message lists, and how many bytes they hold. */
export async function scanSource(location: string, options: SourceOptions = {}) {
  const folders = await openSource(location, options);
  const listed = [];
  try {
    for (const folder of folders) listed.push({ folder, refs: await folder.list() });
  } catch (err) {
    await closeSource(folders);
    throw err;
  }
  const bytes = listed.reduce((sum, f) => sum + f.refs.reduce((s, r) => s + r.size, 0), 0);
  const messages = listed.reduce((sum, f) => sum + f.refs.length, 0);
  return { folders: listed, bytes, messages, close: () => closeSource(folders) };
}

export type ScannedSource = Awaited<ReturnType<typeof scanSource>>;

/** The Kura mailbox a source folder goes to (existing one only when `create` is false). */
export async function targetMailbox(store: Store, user: ObjectId, folder: SourceFolder, create: boolean): Promise<MailboxRecord | null> {
  const specialUse = folder.path === 'INBOX' ? undefined : (folder.specialUse ?? specialUseOf(folder.path));
  if (create) return (await ensureMailbox(store, user, folder.path, { specialUse })).mailbox;
  const mailboxes = store.db.collection<MailboxRecord>('mailboxes');
  return mailboxes.findOne(specialUse ? { user, specialUse } : { user, path: folder.path });
}

/** How many messages of each content hash an earlier import already stored in this mailbox. */
async function importedHashes(store: Store, mailbox: ObjectId): Promise<{ counts: Map<string, number>; bytes: number }> {
  const counts = new Map<string, number>();
  let bytes = 0;
  const cursor = store.db.collection('messages').find({ mailbox }, { projection: { 'meta.importHash': 1, size: 1 } });
  for await (const doc of cursor) {
    const hash = doc.meta?.importHash as string | undefined;
    if (!hash) continue;
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
    bytes += Number(doc.size) || 0;
  }
  return { counts, bytes };
}

/**
 * Imports one user's source into Kura. Safe to rerun and to kill at any point: every
 * stored message carries its content hash, and a rerun stores only the copies of each
 * hash that the mailbox does not have yet (two identical source messages stay two).
 */
export async function importUser(store: Store, request: UserImportRequest, scanned?: ScannedSource): Promise<UserImportResult> {
  const started = Date.now();
  const account = await findAccount(store, request.user);
  const source = scanned ?? (await scanSource(request.source, request.sourceOptions));
  try {
    return await importScanned(store, request, account, source, started);
  } finally {
    if (!scanned) await source.close();
  }
}

async function importScanned(
  store: Store,
  request: UserImportRequest,
  account: Account,
  source: ScannedSource,
  started: number,
): Promise<UserImportResult> {
  const dryRun = Boolean(request.dryRun);

  // Quota first: a user who does not fit is reported before a single message is written.
  const { quota, present } = await planImport(store, account, source);
  if (!quota.fits && !request.allowOverQuota && !dryRun) throw quotaExceeded(account, quota);

  const result: UserImportResult = {
    user: account.username,
    source: request.source,
    dryRun,
    quota,
    folders: [],
    setAside: [],
    warnings: [],
    seconds: 0,
  };
  for (const { folder, refs } of source.folders) {
    const mailbox = await targetMailbox(store, account.id, folder, !dryRun);
    const remaining = mailbox
      ? new Map(present.get(String(mailbox._id))?.counts ?? (await importedHashes(store, mailbox._id)).counts)
      : new Map();
    if (mailbox) present.set(String(mailbox._id), { counts: remaining, bytes: 0 });
    const entry: FolderImport = {
      path: folder.path,
      mailbox: mailbox?.path ?? folder.path,
      location: folder.location,
      messages: refs.length,
      bytes: 0,
      imported: 0,
      importedBytes: 0,
      alreadyPresent: 0,
    };
    result.folders.push(entry);
    for (const ref of refs) {
      if (request.signal?.aborted) throw new ImportInterrupted(`import of ${account.username} interrupted; run it again to continue`);
      for (const note of ref.notes) result.warnings.push({ folder: folder.path, message: ref.id, problem: note });
      let raw: Buffer;
      try {
        raw = await ref.read();
      } catch (err) {
        result.setAside.push({ folder: folder.path, message: ref.id, problem: `cannot read: ${(err as Error).message}` });
        request.onProgress?.({ messages: 1, bytes: ref.size });
        continue;
      }
      const wire = toWireForm(raw);
      const hash = contentHash(wire);
      entry.bytes += wire.length;
      const left = remaining.get(hash) ?? 0;
      if (left > 0) {
        remaining.set(hash, left - 1);
        entry.alreadyPresent++;
      } else {
        const odd = looksBroken(wire);
        const storable = odd !== 'empty file' && (await servesUnchanged(store, wire));
        if (!storable) {
          result.setAside.push({
            folder: folder.path,
            message: ref.id,
            problem:
              odd === 'empty file'
                ? 'empty file (nothing to store)'
                : `${odd ?? 'not a message'}: the store would not keep these bytes unchanged`,
            copy: odd === 'empty file' ? undefined : await setAside(request.setAsideDir, account.username, folder.path, ref.id, raw),
          });
        } else {
          if (odd) result.warnings.push({ folder: folder.path, message: ref.id, problem: `${odd}: stored as it is` });
          if (dryRun || !mailbox) {
            entry.imported++;
            entry.importedBytes += wire.length;
          } else {
            try {
              await appendMessage(store, {
                user: account.id,
                mailbox: mailbox._id,
                raw: wire,
                flags: normalizeFlags(ref.flags),
                date: ref.date,
                meta: { source: 'IMPORT', importHash: hash, importFolder: folder.path },
              });
              entry.imported++;
              entry.importedBytes += wire.length;
            } catch (err) {
              if (isInfrastructure(err)) throw err;
              result.setAside.push({
                folder: folder.path,
                message: ref.id,
                problem: `refused by the store: ${(err as Error).message}`,
                copy: await setAside(request.setAsideDir, account.username, folder.path, ref.id, raw),
              });
            }
          }
        }
      }
      request.onProgress?.({ messages: 1, bytes: ref.size });
    }
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** What an import of `source` needs: the quota check, and the hashes already imported per mailbox. */
export async function planImport(store: Store, account: Account, source: ScannedSource) {
  const present = new Map<string, { counts: Map<string, number>; bytes: number }>();
  let presentBytes = 0;
  for (const { folder } of source.folders) {
    const mailbox = await targetMailbox(store, account.id, folder, false);
    if (mailbox && !present.has(String(mailbox._id))) {
      const found = await importedHashes(store, mailbox._id);
      present.set(String(mailbox._id), found);
      presentBytes += found.bytes;
    }
  }
  return { quota: quotaCheck(account, Math.max(source.bytes - presentBytes, 0)), present };
}

export function quotaExceeded(account: Account, quota: QuotaCheck): QuotaExceeded {
  return new QuotaExceeded(
    `${account.username}: the source needs ${mb(quota.needed)} but only ${mb(Math.max(quota.quota - quota.storageUsed, 0))} of the ${mb(quota.quota)} quota is free`,
    quota,
  );
}

export class ImportInterrupted extends Error {
  override name = 'ImportInterrupted';
}

function quotaCheck(account: Account, needed: number): QuotaCheck {
  const fits = account.quota <= 0 || account.storageUsed + needed <= account.quota;
  return { quota: account.quota, storageUsed: account.storageUsed, needed, fits };
}

/** Database and network failures stop the import (rerun it); anything else is about the message. */
function isInfrastructure(err: unknown): boolean {
  const name = (err as Error).name ?? '';
  return (
    /^Mongo|Redis|ReplyError/.test(name) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed/.test((err as Error).message ?? '')
  );
}

async function setAside(dir: string | undefined, user: string, folder: string, id: string, raw: Buffer): Promise<string | undefined> {
  if (!dir) return undefined;
  const target = path.join(dir, safe(user), ...folder.split('/').map(safe), safe(id));
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, raw);
  return target;
}

function safe(part: string): string {
  return part.replace(/[/\\\0]/g, '_').replace(/^\.+/, '_') || '_';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
