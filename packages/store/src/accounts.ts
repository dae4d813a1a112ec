import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/** What an operator sees of a user. */
export interface AccountSummary {
  id: string;
  username: string;
  address: string;
  name: string;
  /** Bytes; 0 means WildDuck's default applies. */
  quota: number;
  storageUsed: number;
  disabled: boolean;
  /** Newest INBOX messages POP3 lists; 0 means the installation's limit. */
  pop3MaxMessages: number;
  created?: Date;
}

const PROJECTION = {
  username: 1,
  address: 1,
  name: 1,
  quota: 1,
  storageUsed: 1,
  disabled: 1,
  pop3MaxMessages: 1,
  created: 1,
} as const;

function summary(doc: Record<string, unknown>): AccountSummary {
  return {
    id: String(doc._id),
    username: String(doc.username),
    address: String(doc.address ?? ''),
    name: String(doc.name ?? ''),
    quota: Number(doc.quota) || 0,
    storageUsed: Number(doc.storageUsed) || 0,
    disabled: Boolean(doc.disabled),
    pop3MaxMessages: Number(doc.pop3MaxMessages) || 0,
    created: doc.created instanceof Date ? doc.created : undefined,
  };
}

/** A user by id, username or any of its addresses; null when there is none. */
export async function findAccountSummary(store: Store, nameOrAddress: string): Promise<AccountSummary | null> {
  const users = store.db.collection('users');
  let doc =
    ObjectId.isValid(nameOrAddress) && /^[0-9a-f]{24}$/i.test(nameOrAddress)
      ? await users.findOne({ _id: new ObjectId(nameOrAddress) }, { projection: PROJECTION })
      : await users.findOne({ unameview: nameOrAddress.replace(/\./g, '').toLowerCase() }, { projection: PROJECTION });
  if (!doc && nameOrAddress.includes('@')) {
    const resolved = await store.users.asyncResolveAddress(nameOrAddress, { wildcard: false, projection: { user: true } });
    if (resolved !== false && resolved.user) doc = await users.findOne({ _id: resolved.user }, { projection: PROJECTION });
  }
  return doc ? summary(doc) : null;
}

/** Users in username order, `limit` at a time after `after` (a username), optionally those matching `query`. */
export async function listAccounts(store: Store, options: { limit: number; after?: string; query?: string }): Promise<AccountSummary[]> {
  const filter: Record<string, unknown> = {};
  if (options.after) filter.username = { $gt: options.after };
  if (options.query) filter.unameview = { $regex: escapeRegex(options.query.replace(/\./g, '').toLowerCase()) };
  const docs = await store.db
    .collection('users')
    .find(filter, { projection: PROJECTION })
    .sort({ username: 1 })
    .limit(options.limit)
    .toArray();
  return docs.map(summary);
}

/** Changes a user through WildDuck's user handler (password hashing, cache resets). */
export async function updateAccount(
  store: Store,
  id: string,
  changes: { password?: string; quota?: number; disabled?: boolean; pop3MaxMessages?: number },
): Promise<void> {
  await store.users.update(new ObjectId(id), { ...changes, ip: '127.0.0.1' });
}

/**
 * Deletes a user the way WildDuck's API does: the account leaves `users` at once (no
 * logins, no mail accepted) and its mail is purged after `deleteAfter`; until then
 * WildDuck can restore it. Returns when the purge is due.
 */
export async function deleteAccount(store: Store, id: string, deleteAfter: Date): Promise<string | undefined> {
  const result = await store.users.delete(new ObjectId(id), { deleteAfter, ip: '127.0.0.1' });
  return result.deleteAfter;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
