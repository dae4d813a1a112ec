import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { createMailboxHandler } from './wildduck.js';

export interface MailboxRecord {
  _id: ObjectId;
  path: string;
  specialUse?: string;
  uidValidity: number;
  uidNext: number;
}

const PROJECTION = { _id: 1, path: 1, specialUse: 1, uidValidity: 1, uidNext: 1 } as const;

export async function listMailboxes(store: Store, user: ObjectId): Promise<MailboxRecord[]> {
  return store.db.collection<MailboxRecord>('mailboxes').find({ user }, { projection: PROJECTION }).sort({ path: 1 }).toArray();
}

/**
 * The user's mailbox for `path`, created through WildDuck's mailbox handler (as IMAP
 * CREATE does) when missing. With `specialUse`, the user's existing mailbox of that
 * use wins (an old "Sent" lands in WildDuck's "Sent Mail").
 */
export async function ensureMailbox(
  store: Store,
  user: ObjectId,
  path: string,
  options: { specialUse?: string } = {},
): Promise<{ mailbox: MailboxRecord; created: boolean }> {
  const mailboxes = store.db.collection<MailboxRecord>('mailboxes');
  const query = options.specialUse ? { user, specialUse: options.specialUse } : { user, path };
  const existing = await mailboxes.findOne(query, { projection: PROJECTION });
  if (existing) return { mailbox: existing, created: false };
  const handler = createMailboxHandler(store.db, store.redis, store.messages, store.settings);
  try {
    await handler.createAsync(user, path, options.specialUse ? { specialUse: options.specialUse } : {});
  } catch (err) {
    if ((err as { code?: string }).code !== 'ALREADYEXISTS') throw err;
  }
  // The handler does not wait for its insert to be acknowledged: wait for the mailbox here.
  for (let attempt = 0; attempt < 50; attempt++) {
    const created = await mailboxes.findOne({ user, path }, { projection: PROJECTION });
    if (created) return { mailbox: created, created: true };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mailbox ${path} was not created`);
}

/**
 * A stored message's bytes exactly as IMAP FETCH BODY[] returns them: WildDuck's
 * rebuild cut (or padded with spaces) to the length it announces, as its IMAP server
 * does. (The rebuild itself may run two bytes longer; POP3 sends those, see
 * docs/compatibility.md.)
 */
export async function messageSource(store: Store, mimeTree: unknown): Promise<Buffer> {
  const { value, expectedLength } = store.messages.indexer.rebuild(mimeTree, false);
  const chunks: Buffer[] = [];
  for await (const chunk of value) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, 'binary'));
  const full = Buffer.concat(chunks);
  if (full.length >= expectedLength) return full.subarray(0, expectedLength);
  return Buffer.concat([full, Buffer.alloc(expectedLength - full.length, ' ')]);
}

/**
 * True when WildDuck, given `wire`, serves exactly `wire` back over IMAP: checked by
 * parsing and rebuilding it in memory with WildDuck's own indexer. Bytes that are not
 * a message (no header block) can come back changed.
 */
export async function servesUnchanged(store: Store, wire: Buffer): Promise<boolean> {
  return (await messageSource(store, store.messages.indexer.parseMimeTree(wire))).equals(wire);
}

/**
 * Stores one imported message through WildDuck's message handler, with its flags and
 * internal date. `meta` travels with the message (the import's content hash lives there).
 */
export async function appendMessage(
  store: Store,
  request: { user: ObjectId; mailbox: ObjectId; raw: Buffer; flags: string[]; date?: Date; meta: Record<string, unknown> },
): Promise<{ id: string; uid: number; size: number }> {
  const { data } = await store.messages.addAsync({
    user: request.user,
    mailbox: request.mailbox,
    flags: request.flags,
    // A copy: WildDuck zero-fills the buffer it encrypts (encryptMessages), and the caller still holds this one.
    raw: Buffer.from(request.raw),
    ...(request.date ? { date: request.date } : {}),
    meta: { time: new Date(), ...request.meta },
  });
  return { id: String(data.id), uid: data.uid, size: data.size };
}
