import type { Mode } from './modes.ts';
import { bulkLoad, type Prepared, readFigures, type Scenario } from './scenarios.ts';
import type { BenchTarget } from './stacks/target.ts';

const filled = new WeakMap<BenchTarget, Promise<void>>();

/** Other users' messages per store user. */
function perUser(mode: Mode): number {
  return mode.store.users === 0 ? 0 : Math.ceil(mode.store.messages / mode.store.users);
}

/**
 * Fills the other users' INBOXes once per stack with copies of the reader's messages (storage-level,
 * the same mail on both stacks), so that the store is many times the size of the mailbox read.
 */
function fillStore(p: Prepared, mode: Mode): Promise<void> {
  let done = filled.get(p.target);
  if (!done) {
    done = (async () => {
      await bulkLoad(p.target, async () => {
        for (const user of p.users.store) await p.target.clone(user, perUser(mode), p.users.reader);
      });
    })();
    filled.set(p.target, done);
  }
  return done;
}

/**
 * The IMAP read figures again, now that other users' mail fills the store: a query's cost should depend
 * on the mailbox it asks about, not on the store (compare with "IMAP read").
 */
export const storeRead: Scenario = {
  name: 'IMAP read in a full store',
  async run(p, mode, run) {
    await fillStore(p, mode);
    const total = mode.mailbox + perUser(mode) * mode.store.users;
    const label = `IMAP, ${mode.mailbox}-message mailbox in a ${total}-message store (${mode.store.users + 1} users)`;
    return readFigures(p, mode, run, label);
  },
};
