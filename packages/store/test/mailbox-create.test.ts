import type { Redis } from 'ioredis';
import { type Db, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createMailboxHandler, type WildDuckMessageHandler, type WildDuckSettingsHandler } from '../src/wildduck.js';

/**
 * WildDuck 1.51.1 answered a folder creation before the folder was written
 * (its insertOne was not awaited), so an API call naming the new folder at
 * once (a filter into it) could find nothing: NoSuchMailbox on a fast client.
 * Patch 013 awaits the write. Here the write is held back by hand: creation
 * must not finish before it does.
 */
describe("WildDuck's folder creation (patch 013)", () => {
  it('answers only after the folder is written', async () => {
    let release: (() => void) | undefined;
    let written = false;
    const collections: Record<string, Record<string, unknown>> = {
      users: { findOne: async () => ({ retention: 0 }) },
      mailboxes: {
        findOne: async () => null,
        countDocuments: async () => 0,
        insertOne: (doc: { _id: unknown }) =>
          new Promise((resolve) => {
            release = () => {
              written = true;
              resolve({ acknowledged: true, insertedId: doc._id });
            };
          }),
      },
    };
    const database = { collection: (name: string) => collections[name] } as unknown as Db;
    const notifier = { addEntries: (_m: unknown, _e: unknown, done: () => void) => done(), fire: () => undefined };
    const settings = { get: async () => 1_000 } as unknown as WildDuckSettingsHandler;
    // No Redis: WildDuck's event publishing skips itself without a client.
    const handler = createMailboxHandler(
      database,
      undefined as unknown as Redis,
      { notifier } as unknown as WildDuckMessageHandler,
      settings,
    );

    let answered = false;
    const creating = handler.createAsync(new ObjectId(), 'Receipts', {}).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(release).toBeTypeOf('function');
    expect(answered).toBe(false);
    release?.();
    const result = await creating;
    expect(written).toBe(true);
    expect(result.status).toBe(true);
  });
});
