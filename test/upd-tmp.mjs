import { MongoClient, ObjectId } from 'mongodb';

const c = await MongoClient.connect('mongodb://127.0.0.1:27599/kura-bench');
const db = c.db();
const m = db.collection('messages');
const user = await db.collection('users').findOne({ username: 'reader' });
const box = await db.collection('mailboxes').findOne({ user: user._id, path: 'INBOX' });
const docs = await m.find({ mailbox: box._id, uid: { $gte: 3001, $lte: 3040 } }).toArray();
async function run(label) {
  let t = Date.now();
  for (const d of docs) await m.updateOne({ _id: d._id, mailbox: box._id, uid: d.uid }, { $addToSet: { flags: '\\Flagged' } });
  for (const d of docs) await m.updateOne({ _id: d._id, mailbox: box._id, uid: d.uid }, { $pull: { flags: '\\Flagged' } });
  const upd = (Date.now() - t) / (2 * docs.length);
  t = Date.now();
  const copies = docs.map((d) => ({ ...d, _id: new ObjectId(), uid: d.uid + 100000 }));
  for (const d of copies) await m.insertOne(d);
  const ins = (Date.now() - t) / copies.length;
  await m.deleteMany({ mailbox: box._id, uid: { $gt: 100000 } });
  console.log(label, 'update', upd.toFixed(1), 'ms; insert', ins.toFixed(1), 'ms');
}
await m.dropIndex('kura_search_fields');
await m.dropIndex('kura_fetch_fields');
const t = Date.now();
await m.createIndex(
  {
    mailbox: 1,
    uid: 1,
    _id: 1,
    user: 1,
    searchable: 1,
    modseq: 1,
    flags: 1,
    unseen: 1,
    flagged: 1,
    undeleted: 1,
    draft: 1,
    thread: 1,
    idate: 1,
    hdate: 1,
    size: 1,
    envelope: 1,
    bodystructure: 1,
    headers: 1,
    text: 1,
  },
  { name: 'kura_imap_fields' },
);
console.log('build merged', Date.now() - t);
await run('merged');
await c.close();
