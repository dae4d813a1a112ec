import type { ObjectId } from 'mongodb';
import type { Store } from './connect.js';

export interface NewUser {
  username: string;
  password: string;
  address: string;
  name?: string;
  /** Storage quota in bytes; 0 means WildDuck's default. */
  quota?: number;
}

/** Creates the user unless one with that username exists; returns its id either way. Safe to rerun. */
export async function ensureUser(store: Store, user: NewUser): Promise<{ id: ObjectId; created: boolean }> {
  const existing = await findUserId(store, user.username);
  if (existing) return { id: existing, created: false };
  const id = (await store.users.create({
    username: user.username,
    password: user.password,
    address: user.address,
    name: user.name ?? user.username,
    quota: user.quota ?? 0,
    ip: '127.0.0.1',
  })) as ObjectId;
  return { id, created: true };
}

export async function findUserId(store: Store, username: string): Promise<ObjectId | null> {
  const found = await store.db
    .collection<{ _id: ObjectId }>('users')
    .findOne({ unameview: username.replace(/\./g, '').toLowerCase() }, { projection: { _id: 1 } });
  return found?._id ?? null;
}
