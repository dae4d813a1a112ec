import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

/** What the store knows about one envelope recipient, as the RCPT phase needs it. */
export type RecipientLookup =
  | { status: 'deliver'; userId: ObjectId; username: string; quota: number; storageUsed: number }
  | { status: 'unknown' }
  /** A forwarded address of WildDuck's (no mailbox of its own): every message goes to its targets. */
  | { status: 'forward'; addressId: ObjectId; targets: Array<{ type: string; value: string }> }
  | { status: 'disabled'; username: string }
  | { status: 'over-quota'; username: string; quota: number; storageUsed: number };

interface UserState {
  _id: ObjectId;
  username: string;
  disabled?: boolean;
  suspended?: boolean;
  quota?: number;
  storageUsed?: number;
}

/**
 * Resolves an address the way WildDuck does (exact address, domain alias,
 * wildcard) and reports whether mail for it can be accepted now.
 */
export async function lookupRecipient(store: Store, address: string): Promise<RecipientLookup> {
  const record = await store.users.asyncResolveAddress(address, { wildcard: true });
  const userId = record ? (record.user ?? record.targets?.find((t) => t.type === 'user')?.user) : undefined;
  if (record && !userId && record.targets?.length) {
    if (record.forwardedDisabled) return { status: 'disabled', username: address };
    const targets = record.targets.map((t) => ({ type: t.type, value: String(t.value) }));
    return { status: 'forward', addressId: record._id as ObjectId, targets };
  }
  if (!userId) return { status: 'unknown' };

  const user = await store.db
    .collection<UserState>('users')
    .findOne({ _id: userId }, { projection: { username: 1, disabled: 1, suspended: 1, quota: 1, storageUsed: 1 } });
  if (!user) return { status: 'unknown' };
  if (user.disabled || user.suspended) return { status: 'disabled', username: user.username };

  // Users without a quota of their own get WildDuck's default (setting const:max:storage).
  const quota = user.quota || Number(await store.settings.get('const:max:storage')) || 0;
  const storageUsed = user.storageUsed ?? 0;
  if (quota > 0 && storageUsed >= quota) return { status: 'over-quota', username: user.username, quota, storageUsed };
  return { status: 'deliver', userId: user._id, username: user.username, quota, storageUsed };
}
