import { findAccountSummary, type Store } from '@kura/store';
import { ObjectId } from 'mongodb';

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

/** A Kura user by username, address or id, with the quota that applies to it. */
export async function findAccount(store: Store, nameOrAddress: string): Promise<Account> {
  const found = await findAccountSummary(store, nameOrAddress);
  if (!found) throw new AccountNotFound(`no Kura user "${nameOrAddress}"`);
  return {
    id: new ObjectId(found.id),
    username: found.username,
    address: found.address,
    quota: found.quota || Number(await store.settings.get('const:max:storage')) || 0,
    storageUsed: found.storageUsed,
    disabled: found.disabled,
  };
}
