import type { Redis } from 'ioredis';
import { type Db, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createMailboxHandler, type WildDuckMessageHandler, type WildDuckSettingsHandler } from '../src/wildduck.js';

/**
 * WildDuck patch 013: creating a mailbox resolves only after its document is
 * written. Unpatched, `createAsync` did not await the insert, so a client that
 * created a folder through the API and at once stored a message or a filter
 * into it could get NoSuchMailbox (seen on the local data tier; a race on
 * MongoDB too). The database here answers the insert late on purpose.
 */
describe('WildDuck mailbox creation', () => {
  it('resolves only once the mailbox document is stored, and reports its id', async () => {
    const stored: Array<{ _id: ObjectId; path: string }> = [];
    const mailboxes = {
      findOne: async () => null,
      countDocuments: async () => 0,
      insertOne: (doc: { _id: ObjectId; path: string }) =>
        new Promise((resolve) =>
          setTimeout(() => {
            stored.push(doc);
            resolve({ acknowledged: true, insertedId: doc._id });
          }, 100),
        ),
    };
    const users = { findOne: async () => ({ _id: new ObjectId(), retention: 0 }) };
    const database = { collection: (name: string) => (name === 'mailboxes' ? mailboxes : users) } as unknown as Db;
    const notified: unknown[] = [];
    const messages = {
      notifier: {
        addEntries: (_mailbox: unknown, entry: { mailbox: unknown }, done: () => void) => {
          notified.push(entry.mailbox);
          done();
        },
        fire: () => undefined,
      },
    } as unknown as WildDuckMessageHandler;
    const settings: WildDuckSettingsHandler = { get: async () => 1_000 };
    // Without a Redis client WildDuck skips publishing the event (its webhook queue), which is not under test.
    const handler = createMailboxHandler(database, null as unknown as Redis, messages, settings);

    const result = await handler.createAsync(new ObjectId(), 'Archive', {});

    expect(stored.map((doc) => doc.path)).toEqual(['Archive']);
    expect(String(result.id)).toBe(String(stored[0]?._id));
    // The IMAP notification names the new mailbox (unpatched: undefined, the insert's promise had no id).
    expect(notified.map(String)).toEqual([String(stored[0]?._id)]);
  });
});
