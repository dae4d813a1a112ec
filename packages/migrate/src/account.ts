import type { Store } from '@kura/store';
import type { ObjectId } from 'mongodb';

export interface Account {
  id: ObjectId;
  username: string;
  address: string;
  /** Bytes; WildDuck's default when the user has none of its own. */
  quota: number;
  storageUsed: number;
  disabled: boolean;
}

export class AccountNotFound extends Error {
  override name = 'AccountNotFound';
}

/** A Kura user by username or e-mail address. */
export async function findAccount(store: Store, nameOrAddress: string): Promise<Account> {
  const users = store.db.collection('users');
  const projection = { username: 1, address: 1, quota: 1, storageUsed: 1, disabled: 1 };
  let user = await users.findOne({ unameview: nameOrAddress.replace(/\./g, '').toLowerCase() }, { projection });
  if (!user && nameOrAddress.includes('@')) {
    const resolved = await store.users.asyncResolveAddress(nameOrAddress, { wildcard: false, projection: { user: true } });
    if (resolved !== false && resolved.user) user = await users.findOne({ _id: resolved.user }, { projection });
  }
  if (!user) throw new AccountNotFound(`no Kura user "${nameOrAddress}"`);
  const quota = Number(user.quota) || Number(await store.settings.get('const:max:storage')) || 0;
  return {
    id: user._id as ObjectId,
    username: String(user.username),
    address: String(user.address ?? ''),
    quota,
    storageUsed: Number(user.storageUsed) || 0,
    disabled: Boolean(user.disabled),
  };
}
