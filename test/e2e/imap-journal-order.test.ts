import { listMailboxes, openStore, type Store } from '@kura/store';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawImap } from '../support/imap-raw.js';
import { newUser, useTestStack } from '../support/stack.js';

const stack = useTestStack('imap-journal-order');

/**
 * Concurrent deliveries allocate UID and MODSEQ in order but can write their journal entries out of order. An open
 * IMAP session (a mail client in IDLE) must still announce every message, in UID order (WildDuck patch 016): the
 * journal entries are written here in a chosen order, as two racing deliveries would write them.
 */
describe('IMAP notifications when journal entries arrive out of order', () => {
  let store: Store;
  let userId: ObjectId;
  let inbox: ObjectId;
  let imap: RawImap;

  beforeAll(async () => {
    const { config } = stack();
    const user = await newUser(config, 'journal-order');
    userId = new ObjectId(user.id);
    store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    const found = (await listMailboxes(store, userId)).find((m) => m.path === 'INBOX');
    if (!found) throw new Error('the new user has no INBOX');
    inbox = found._id;
    imap = await RawImap.session(config.ports.imap, user.username, user.password);
  });

  afterAll(async () => {
    imap?.close();
    await store?.close();
  });

  /** What a delivery allocates before it stores: the next UID and MODSEQ, together (WildDuck's message handler). */
  async function allocate(): Promise<{ uid: number; modseq: number }> {
    const { value: before } = await store.db
      .collection('mailboxes')
      .findOneAndUpdate({ _id: inbox }, { $inc: { uidNext: 1, modifyIndex: 1 } }, { returnDocument: 'before' });
    if (!before) throw new Error('INBOX vanished');
    return { uid: before.uidNext as number, modseq: (before.modifyIndex as number) + 1 };
  }

  /** What the delivery writes last: its journal entry, then the notification every session of the user listens for. */
  async function journal(slot: { uid: number; modseq: number }): Promise<void> {
    await store.db.collection('journal').insertOne({
      mailbox: inbox,
      user: userId,
      command: 'EXISTS',
      uid: slot.uid,
      modseq: slot.modseq,
      message: new ObjectId(),
      unseen: true,
      idate: new Date(),
      created: new Date(),
    });
    (store.messages.notifier as { fire(user: ObjectId): void }).fire(userId);
  }

  /** The EXISTS counts the session reports on NOOP, after the notification has had time to arrive. */
  async function existsAfterNoop(): Promise<number[]> {
    await new Promise((resolve) => setTimeout(resolve, 600));
    const answer = await imap.run('NOOP');
    expect(answer.status).toBe('OK');
    return answer.untagged.flatMap((line) => (/^\* (\d+) EXISTS$/.exec(line) ? [Number(/^\* (\d+)/.exec(line)?.[1])] : []));
  }

  it('announces both messages, in UID order, when the later one is journaled first', async () => {
    const first = await allocate();
    const second = await allocate();
    await journal(second);
    // the second is held back while the first's entry is missing
    expect(await existsAfterNoop()).toEqual([]);
    await journal(first);
    expect(await existsAfterNoop()).toEqual([2]);
  });

  it('gives up on a MODSEQ that never gets a journal entry, after a few seconds, without a further notification', async () => {
    await allocate(); // allocated, then nothing written (a change that stored nothing)
    const after = await allocate();
    await journal(after);
    expect(await existsAfterNoop()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(await existsAfterNoop()).toEqual([3]);
  });
});
