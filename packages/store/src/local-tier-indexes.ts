import type { Db, IndexDescription } from 'mongodb';

/**
 * Indexes created on the local data tier only (FerretDB with Kura's patches), never on MongoDB.
 *
 * `kura_fetch_fields` holds every field IMAP FETCH reads when it does not need the message source (`_id`, `uid`,
 * `thread`, `modseq`, and as asked `flags`, `idate`, `size`, `envelope`, `bodystructure`) and every field of POP3's
 * maildrop listing (`uid`, `size`, `mailbox`, `flags`, `unseen`), led by `mailbox, uid` as WildDuck's own
 * `mailbox_uid`. The patched FerretDB answers a query whose fields are all keys of such an index from the index
 * alone (patch 0300, covered reads), so `FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)` and a POP3 login stop reading
 * each ~140 KB message document (MIME tree and inline source) to return a few hundred bytes. MongoDB needs none of
 * this (it reads documents by field), and could not build it: `flags` and `envelope` are both arrays.
 *
 * `kura_search_fields` does the same for IMAP SEARCH: every field WildDuck's search filters read (`headers` for
 * header keys, `text` for BODY/TEXT, flags, dates, size, UIDs), led by the fields of a BODY/TEXT search's filter
 * (`mailbox`, `user`, `searchable`) so that each branch of the pushed-down filter can search it (patch 0450).
 *
 * `kura_user_meta` serves the delivery log's search for a message by its delivery key (`{user, 'meta.deliveryKey',
 * idate}`, delivery-log.ts), made for every retry of a delivery whose earlier attempt died between storing the message
 * and recording it (after an MX crash, one per message in flight). `meta.deliveryKey` also matches inside an array
 * `meta` (MongoDB semantics), so the patched FerretDB pushes that equality down as three index searches (patch 0470):
 * the key itself and an array holding it (`kura_delivery_key`), or `meta` an array (this index). Without it the
 * search read every message document of the recipient: 1.1–1.5 s per such retry into a 2,900-message INBOX.
 *
 * `kura_thread_subject` serves WildDuck's thread lookup at every delivery (`{user, ids: {$in: references}, subject}`).
 * MongoDB answers it from the multikey index on `ids`; an SQLite expression index holds each thread's whole `ids`
 * array as one text, so that index could only narrow the search to the user's threads, and every one of them was
 * checked (50–80 ms per delivery for a user with 3,000 threads). The subject narrows it to a few.
 *
 * The price is paid on writes: every insert and update of a message also writes these entries, which hold copies of
 * those fields (docs/BENCHMARKS.md, 2026-11-30: writes to `messages` about 1.7× as costly before FerretDB patch 0460).
 */
export const LOCAL_TIER_INDEXES: Array<{ collection: string; index: IndexDescription & { name: string } }> = [
  {
    collection: 'messages',
    index: {
      name: 'kura_fetch_fields',
      key: {
        mailbox: 1,
        uid: 1,
        _id: 1,
        modseq: 1,
        flags: 1,
        unseen: 1,
        thread: 1,
        idate: 1,
        size: 1,
        envelope: 1,
        bodystructure: 1,
      },
    },
  },
  {
    collection: 'messages',
    index: {
      name: 'kura_search_fields',
      // led by what a BODY/TEXT search names (mailbox, user, searchable), then every field IMAP SEARCH reads
      key: {
        mailbox: 1,
        user: 1,
        searchable: 1,
        uid: 1,
        _id: 1,
        modseq: 1,
        flags: 1,
        unseen: 1,
        flagged: 1,
        undeleted: 1,
        draft: 1,
        idate: 1,
        hdate: 1,
        size: 1,
        headers: 1,
        text: 1,
      },
    },
  },
  { collection: 'messages', index: { name: 'kura_user_meta', key: { user: 1, meta: 1 } } },
  { collection: 'threads', index: { name: 'kura_thread_subject', key: { user: 1, subject: 1 } } },
];

/** FerretDB names itself in buildInfo; MongoDB has no such field. */
export async function isLocalTier(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string';
}

/**
 * Creates the local tier's own indexes (no-op against MongoDB). Safe to run on every start; on a store that
 * predates them the first run builds them over every message, which holds up writes to `messages` meanwhile.
 */
export async function ensureLocalTierIndexes(db: Db): Promise<void> {
  if (!(await isLocalTier(db))) return;
  for (const { collection, index } of LOCAL_TIER_INDEXES) {
    await db.collection(collection).createIndexes([index]);
  }
}
