import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ensureStoreIndexes, ensureWildDuckIndexes, LOCAL_TIER_INDEXES, type Store } from '@kura/store';
import { type Db, type Document, Double, GridFSBucket, Int32, Long, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTier, startDataTier } from '../support/data-tier.js';

/**
 * The local data tier answers WildDuck's main queries through an index: SQLite's
 * plan (explain) for each query shape names one of WildDuck's indexes and scans no
 * table. A query's cost then depends on the mailbox it asks about, not on the store.
 */
describe.skipIf(!process.env.KURA_FERRETDB_BIN)('local data tier: query plans and pushdown', () => {
  let tier: DataTier;
  let db: Db;
  const user = new ObjectId();
  const otherUser = new ObjectId();
  const inbox = new ObjectId();
  const archive = new ObjectId();
  const otherInbox = new ObjectId();
  const thread = new ObjectId();
  let fileId: ObjectId;

  function message(mailbox: ObjectId, owner: ObjectId, uid: number): Document {
    return {
      _id: new ObjectId(),
      mailbox,
      user: owner,
      uid,
      modseq: uid,
      thread,
      flags: uid % 3 === 0 ? ['\\Seen', '\\Flagged'] : ['\\Seen'],
      idate: new Date(1_700_000_000_000 + uid * 1000),
      size: 2000 + uid,
      unseen: uid % 3 !== 0,
      searchable: uid % 7 !== 0,
      headers: [
        { key: 'subject', value: uid % 5 === 0 ? `quarterly report ${uid}` : `message ${uid}` },
        { key: 'from', value: 'sender@example.org' },
      ],
      text: uid % 4 === 0 ? `the zebrafinch sang ${uid}` : `plain words ${uid}`,
      meta: { deliveryKey: `key-${mailbox.toHexString()}-${uid}` },
      // as the adapter stores them: arrays inside arrays wrapped (nested-arrays.ts)
      envelope: [
        `date ${uid}`,
        `Subject ${uid}`,
        { __kuraNestedArray: [{ __kuraNestedArray: ['Sender', null, 'from', 'example.org'] }] },
        null,
      ],
      bodystructure: { type: 'text', subtype: 'plain', parameters: { charset: 'utf-8' }, size: 3000 + uid, lines: uid },
      mimeTree: { header: [`Subject: message ${uid}`], body: 'x'.repeat(3000), childNodes: [{ header: ['Content-Type: text/plain'] }] },
    };
  }

  beforeAll(async () => {
    tier = await startDataTier('plans', 'plans');
    db = tier.client.db();
    // WildDuck's own index list, as WildDuck creates it at start-up
    await ensureWildDuckIndexes(db, new Set(['messages', 'users', 'addresses', 'threads']));
    // and Kura's own (delivery log, the local tier's), as the MX creates them at start-up; they use only the database
    await ensureStoreIndexes({ db } as unknown as Store);
    await db.collection('kura_deliveries').insertOne({ _id: 'u:key' as unknown as ObjectId, created: new Date() });
    const docs = [
      ...Array.from({ length: 40 }, (_, i) => message(inbox, user, i + 1)),
      ...Array.from({ length: 20 }, (_, i) => message(archive, user, i + 1)),
      ...Array.from({ length: 40 }, (_, i) => message(otherInbox, otherUser, i + 1)),
    ];
    await db.collection('messages').insertMany(docs);
    await db.collection('users').insertMany([
      { _id: user, username: 'plans', unameview: 'plans' },
      { _id: otherUser, username: 'other', unameview: 'other' },
    ]);
    await db.collection('addresses').insertMany([
      { user, address: 'plans@example.org', addrview: 'plans@exampleorg' },
      { user: otherUser, address: 'other@example.org', addrview: 'other@exampleorg' },
    ]);
    // GridFS as WildDuck stores attachments: the driver's bucket creates its chunk index (files_id, n)
    const bucket = new GridFSBucket(db, { bucketName: 'attachments', chunkSizeBytes: 255 * 1024 });
    const upload = bucket.openUploadStream('attachment');
    await pipeline(Readable.from([Buffer.alloc(600 * 1024, 7)]), upload);
    fileId = upload.id as ObjectId;
  }, 120_000);

  afterAll(async () => {
    await tier?.stop();
  });

  /** SQLite's plan lines for a find, and whether the filter reached SQLite. */
  async function plan(collection: string, filter: Document, options: Document = {}): Promise<{ lines: string[]; pushdown: boolean }> {
    const explained = (await db.collection(collection).find(filter, options).explain()) as Document;
    return { lines: explained.queryPlanner?.Plan as string[], pushdown: explained.filterPushdown as boolean };
  }

  /** Index names and their keys, in order, as the collection lists them. */
  async function indexKeys(collection: string): Promise<Map<string, string[]>> {
    const indexes = await db.collection(collection).listIndexes().toArray();
    return new Map(indexes.map((i) => [i.name as string, Object.keys(i.key)]));
  }

  /**
   * Every step of the plan searches an index that starts with the given fields (SQLite may pick any of
   * WildDuck's indexes with that prefix), and no step scans the table. Returns the plan.
   */
  async function expectIndexOn(collection: string, leading: string[], filter: Document, options: Document = {}): Promise<string[]> {
    const { lines, pushdown } = await plan(collection, filter, options);
    const context = JSON.stringify(lines);
    expect(pushdown, context).toBe(true);
    const keys = await indexKeys(collection);
    // a filter with several index searches reads its rows by rowid once the searches found them (patch 0350)
    const searches = lines.filter((l) => /detail=SEARCH /.test(l) && !/USING INTEGER PRIMARY KEY \(rowid=\?\)/.test(l));
    expect(searches.length, context).toBeGreaterThan(0);
    for (const line of searches) {
      const name = [...keys.keys()].find((n) => line.includes(`_${n} (`));
      expect(name, `${line} in ${context}`).toBeTruthy();
      expect(keys.get(name as string)?.slice(0, leading.length), `${line} in ${context}`).toEqual(leading);
    }
    const tableScans = lines.filter((l) => /detail=SCAN /.test(l) && !/SCAN json_each/.test(l));
    expect(tableScans, context).toEqual([]);
    return lines;
  }

  it("SELECT's listing of one mailbox uses the mailbox index", async () => {
    await expectIndexOn('messages', ['mailbox'], { mailbox: inbox }, { projection: { uid: true }, sort: { uid: 1 } });
  });

  it('FETCH by UID range and by UID list use the mailbox index', async () => {
    const range = await expectIndexOn('messages', ['mailbox'], { mailbox: inbox, uid: { $gte: 3, $lte: 9 } });
    // the UID range is searched in the index too, not checked message by message
    expect(
      range.some((l) => l.includes('(<expr>=? AND <expr>>? AND <expr><?)')),
      JSON.stringify(range),
    ).toBe(true);
    await expectIndexOn('messages', ['mailbox'], { mailbox: inbox, $and: [{ uid: { $gte: 3, $lte: 30 } }, { uid: { $gt: 10 } }] });
    await expectIndexOn('messages', ['mailbox'], { mailbox: inbox, uid: { $in: [2, 5, 8] } });
  });

  it('one message by UID uses mailbox and UID of the index', async () => {
    const lines = await expectIndexOn('messages', ['mailbox'], { mailbox: inbox, uid: 7 });
    const keys = await indexKeys('messages');
    const exact = lines.filter((l) => l.includes('(<expr>=? AND <expr>=?)'));
    expect(exact.length, JSON.stringify(lines)).toBeGreaterThan(0);
    for (const line of exact) {
      const name = [...keys.keys()].find((n) => line.includes(`_${n} (`));
      expect(keys.get(name as string)?.slice(0, 2), line).toEqual(['mailbox', 'uid']);
    }
  });

  it('GridFS chunk reads use the (files_id, n) index', async () => {
    await expectIndexOn('attachments.chunks', ['files_id', 'n'], { files_id: fileId }, { sort: { n: 1 } });
    await expectIndexOn('attachments.chunks', ['files_id', 'n'], { files_id: fileId, n: { $gte: 1 } });
  });

  it('delivery-log and recipient lookups use an index', async () => {
    await expectIndexOn('kura_deliveries', ['_id'], { _id: 'u:key' });
    await expectIndexOn('addresses', ['addrview'], { addrview: 'plans@exampleorg' });
    await expectIndexOn('users', ['_id'], { _id: user });
  });

  it("the delivery log's duplicate check searches the user's key, not every message of the user", async () => {
    const key = `key-${inbox.toHexString()}-7`;
    const filter = { user, 'meta.deliveryKey': key, idate: { $gte: new Date(0) } };
    const lines = await expectIndexOn('messages', ['user'], filter);
    const context = JSON.stringify(lines);
    // every search also narrows by the key (kura_delivery_key) or by meta being an array (kura_user_meta,
    // patch 0470); a search by user alone, "(<expr>=?)", would read every message document of the user
    const searches = lines.filter((l) => /detail=SEARCH /.test(l) && !/\(rowid=\?\)/.test(l));
    for (const line of searches) {
      expect(line, context).toMatch(/_(kura_delivery_key|kura_user_meta) \(/);
      expect(line, context).not.toMatch(/\(<expr>=\?\)$/);
    }
    expect(
      searches.some((l) => l.includes('_kura_delivery_key (<expr>=? AND <expr>=?)')),
      context,
    ).toBe(true);
    expect(
      searches.some((l) => l.includes('_kura_user_meta (<expr>=? AND <expr>>? AND <expr><?)')),
      context,
    ).toBe(true);
    const found = await db.collection('messages').find(filter).toArray();
    expect(found.map((m) => [m.mailbox.toHexString(), m.uid])).toEqual([[inbox.toHexString(), 7]]);
  });

  it("WildDuck's thread lookup at delivery narrows by subject, not to every thread of the user", async () => {
    // one thread per message, as most mail arrives: the user's threads differ by subject and reference ids
    await db
      .collection('threads')
      .insertMany(
        Array.from({ length: 60 }, (_, i) => ({ user, subject: `subject ${i % 30}`, ids: [`ref-${i}@example.org`], updated: new Date() })),
      );
    const filter = { user, ids: { $in: ['ref-7@example.org', 'ref-99@example.org'] }, subject: 'subject 7' };
    const lines = await expectIndexOn('threads', ['user'], filter);
    expect(
      lines.some((l) => l.includes('_kura_thread_subject (<expr>=? AND <expr>=?)')),
      JSON.stringify(lines),
    ).toBe(true);
    const found = await db.collection('threads').find(filter).toArray();
    expect(found.map((t) => t.ids)).toEqual([['ref-7@example.org']]);
  });

  /** The explained find is read from the named index alone (patches 0300, 0430, 0450), in every branch. */
  async function expectCoveredBy(index: string, filter: Document, options: Document): Promise<void> {
    const explained = (await db.collection('messages').find(filter, options).explain()) as Document;
    const lines = explained.queryPlanner?.Plan as string[];
    const context = JSON.stringify(lines);
    expect(explained.kuraCoveredRead, context).toBe(true);
    const searches = lines.filter((l) => /detail=SEARCH /.test(l));
    expect(searches.length, context).toBeGreaterThan(0);
    for (const line of searches) expect(line, context).toContain(`_${index} (`);
    expect(
      lines.filter((l) => /detail=SCAN /.test(l) && !/SCAN json_each/.test(l)),
      context,
    ).toEqual([]);
  }

  /** The same documents, values and BSON types as projecting whole documents. */
  async function expectSameAsWhole(filter: Document, options: { projection: Document; sort?: Document }): Promise<Document[]> {
    const raw = { promoteValues: false } as const;
    const messages = db.collection('messages');
    const covered = await messages.find(filter, { ...options, ...raw }).toArray();
    const whole = await messages.find(filter, { sort: options.sort, ...raw }).toArray();
    const keep = ['_id', ...Object.keys(options.projection)];
    expect(covered).toEqual(whole.map((m) => Object.fromEntries(keep.filter((k) => k in m).map((k) => [k, m[k]]))));
    return covered;
  }

  it("FETCH's metadata and POP3's listing are read from the local tier's index alone", async () => {
    expect(LOCAL_TIER_INDEXES.map((i) => i.index.name)).toEqual([
      'kura_fetch_fields',
      'kura_search_fields',
      'kura_user_meta',
      'kura_thread_subject',
    ]);
    // WildDuck's FETCH (FLAGS ENVELOPE BODYSTRUCTURE INTERNALDATE RFC822.SIZE) by UID range, as it pages
    const fetch = {
      _id: true,
      uid: true,
      thread: true,
      modseq: true,
      flags: true,
      idate: true,
      size: true,
      envelope: true,
      bodystructure: true,
    };
    const byRange = { mailbox: inbox, uid: { $gte: 3, $lte: 30 } };
    await expectCoveredBy('kura_fetch_fields', byRange, { projection: fetch, sort: { uid: 1 } });
    const fetched = await expectSameAsWhole(byRange, { projection: fetch, sort: { uid: 1 } });
    expect(fetched.map((m) => Number(m.uid))).toEqual(Array.from({ length: 28 }, (_, i) => i + 3));
    const paged = { mailbox: inbox, $and: [{ uid: { $gte: 3, $lte: 30 } }, { uid: { $gt: 10 } }] };
    await expectCoveredBy('kura_fetch_fields', paged, { projection: fetch, sort: { uid: 1 } });
    // POP3's maildrop listing
    const pop3 = { uid: true, size: true, mailbox: true, flags: true, unseen: true };
    await expectCoveredBy('kura_fetch_fields', { mailbox: inbox }, { projection: pop3, sort: { uid: -1 } });
    expect(await expectSameAsWhole({ mailbox: inbox }, { projection: pop3, sort: { uid: -1 } })).toHaveLength(40);
  });

  it("IMAP SEARCH by header, by body text and with flags is read from the local tier's search index alone", async () => {
    const found = { uid: true, modseq: true };
    // SEARCH SUBJECT "quarterly" (WildDuck's filter)
    const subject = { mailbox: inbox, headers: { $elemMatch: { key: 'subject', value: { $regex: 'quarterly', $options: 'i' } } } };
    await expectCoveredBy('kura_search_fields', subject, { projection: found });
    const bySubject = await expectSameAsWhole(subject, { projection: found, sort: { uid: 1 } });
    expect(bySubject.map((m) => Number(m.uid))).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    // SEARCH BODY zebrafinch UNSEEN: WildDuck's $text, as the adapter rewrites it, and a flag
    const body = {
      mailbox: inbox,
      user,
      searchable: true,
      unseen: true,
      $and: [{ $or: [{ 'headers.value': { $regex: 'zebrafinch', $options: 'i' } }, { text: { $regex: 'zebrafinch', $options: 'i' } }] }],
    };
    await expectCoveredBy('kura_search_fields', body, { projection: found });
    const byBody = await expectSameAsWhole(body, { projection: found, sort: { uid: 1 } });
    // every fourth message, not \\Seen (every third is), searchable (every seventh is not)
    expect(byBody.map((m) => Number(m.uid))).toEqual([4, 8, 16, 20, 32, 40]);
  });

  it('answers exactly what MongoDB would: the asked-for mailbox, UID range and flags', async () => {
    const messages = db.collection('messages');
    const listing = await messages.find({ mailbox: inbox }).project({ uid: true }).sort({ uid: 1 }).toArray();
    expect(listing.map((m) => m.uid)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Object.keys(listing[0] ?? {}).sort()).toEqual(['_id', 'uid']);

    const range = await messages.find({ mailbox: archive, uid: { $gte: 5, $lte: 8 } }, { sort: { uid: 1 } }).toArray();
    expect(range.map((m) => m.uid)).toEqual([5, 6, 7, 8]);
    expect(range.every((m) => m.mailbox.equals(archive))).toBe(true);

    const flagged = await messages.find({ mailbox: inbox, flags: '\\Flagged' }).project({ uid: 1 }).toArray();
    expect(flagged.map((m) => m.uid).sort((a, b) => a - b)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39]);

    const chunks = await db.collection('attachments.chunks').find({ files_id: fileId }).sort({ n: 1 }).toArray();
    expect(chunks.map((c) => c.n)).toEqual([0, 1, 2]);
  });

  it('a projection returns the same fields as projecting the whole document', async () => {
    const messages = db.collection('messages');
    const projection = { uid: true, flags: true, modseq: true, 'meta.deliveryKey': true };
    const projected = await messages.find({ mailbox: archive, uid: { $lte: 10 } }, { projection, sort: { uid: 1 } }).toArray();
    const whole = await messages.find({ mailbox: archive, uid: { $lte: 10 } }, { sort: { uid: 1 } }).toArray();
    expect(projected).toEqual(
      whole.map((m) => ({ _id: m._id, uid: m.uid, flags: m.flags, modseq: m.modseq, meta: { deliveryKey: m.meta.deliveryKey } })),
    );
  });

  it("SELECT's listing, answered from WildDuck's (mailbox, uid, _id) index, returns exactly what the documents hold", async () => {
    const messages = db.collection('messages');
    const box = new ObjectId();
    // uid as MongoDB may hold it: int, long, double, a string, null, missing, an array; a mailbox array
    const uids: unknown[] = [new Int32(1), Long.fromNumber(2), new Double(3), new Double(3.5), '4', null, undefined, [5, 6]];
    const docs = uids.map((uid, i) => ({
      _id: new ObjectId(),
      mailbox: i === 7 ? [box, inbox] : box,
      ...(uid === undefined ? {} : { uid }),
      body: 'x'.repeat(2000),
    }));
    await messages.insertMany(docs);
    try {
      const raw = { promoteValues: false } as const;
      const listing = await messages.find({ mailbox: box }, { ...raw, projection: { uid: true }, sort: { uid: 1 } }).toArray();
      const whole = await messages.find({ mailbox: box }, { ...raw, sort: { uid: 1 } }).toArray();
      expect(listing.length).toBe(docs.length);
      // the same values with the same BSON types (5 stays an int, a long or a double), in the same order
      expect(listing).toEqual(whole.map((m) => ({ _id: m._id, ...(m.uid === undefined ? {} : { uid: m.uid }) })));
      const byType = listing.map((m) => (m.uid === undefined ? 'missing' : (m.uid?._bsontype ?? typeof m.uid)));
      expect(byType).toEqual(expect.arrayContaining(['Int32', 'Long', 'Double', 'string', 'missing']));
      const both = await messages
        .find({ mailbox: box, uid: { $gte: 2, $lte: 3 } }, { ...raw, projection: { mailbox: 1, uid: 1 }, sort: { uid: 1 } })
        .toArray();
      expect(both.map((m) => [m.mailbox, m.uid])).toEqual([
        [box, Long.fromNumber(2)],
        [box, new Double(3)],
      ]);
    } finally {
      await messages.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
    }
  });

  it('an equality matches a document whose field holds an array containing the value', async () => {
    const messages = db.collection('messages');
    const shared = { _id: new ObjectId(), mailbox: [archive, inbox], uid: [500, 501], user, thread, flags: [] };
    await messages.insertOne(shared);
    try {
      expect((await messages.find({ mailbox: archive, uid: 501 }).toArray()).map((m) => m._id)).toEqual([shared._id]);
      expect(await messages.countDocuments({ mailbox: inbox, uid: { $in: [500, 41] } })).toBe(1);
      expect(await messages.countDocuments({ mailbox: otherInbox, uid: 500 })).toBe(0);
      // and the index still serves the query
      await expectIndexOn('messages', ['mailbox'], { mailbox: archive, uid: 501 });
    } finally {
      await messages.deleteOne({ _id: shared._id });
    }
  });
});
