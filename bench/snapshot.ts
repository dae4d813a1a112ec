// Snapshot and restore throughput on the local stack.
//
//   npm run bench:snapshot -- --size-mb 1024 [--users 20] [--keep]
//
// Starts a private local stack (FerretDB + Redis + WildDuck + Haraka on free
// loopback ports, its own data directory), fills it with generated mail
// through WildDuck's own message handler (as the MX stores it), then times
// `create`, `verify`, a wipe and a full `restore`, and writes the numbers,
// machine facts and date into the "## Snapshots" section of docs/BENCHMARKS.md.
// Not part of `npm test`.
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startStack } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { createSnapshot, restoreFull, verifySnapshot } from '@kura/snapshot';
import { ensureUser, ensureWildDuckIndexes, openDatabase, openStore } from '@kura/store';
import { Binary, type Document, ObjectId } from 'mongodb';
import { writeBenchmarkSection } from './src/docs-section.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const targetBytes = Number(arg('size-mb', '1024')) * 1024 * 1024;
const userCount = Number(arg('users', '20'));
const templateCount = Number(arg('templates', '150'));
const keep = args.includes('--keep');
const MB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..');

/** Samples this process's RSS while `work` runs: the snapshot code must keep memory flat. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: Math.round(peak / MB) };
  } finally {
    clearInterval(timer);
  }
}

const CRLF = '\r\n';
const words = 'mail store snapshot restore replica campus student lecture exam thesis library budget meeting report kura storehouse'.split(
  ' ',
);
function text(bytes: number): string {
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = Array.from({ length: 12 }, () => words[crypto.randomInt(words.length)]).join(' ');
    out.push(line);
    n += line.length + 2;
  }
  return out.join(CRLF);
}

/** A generated message: mostly text, some with attachments (random bytes, so incompressible), some attachments shared. */
function generate(to: string, i: number, shared: Buffer[]): Buffer {
  const roll = crypto.randomInt(100);
  const headers = [
    `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
    `To: <${to}>`,
    `Subject: generated message ${i} ${words[i % words.length]}`,
    `Message-ID: <${crypto.randomUUID()}@bench.kura.test>`,
    `Date: ${new Date(Date.now() - crypto.randomInt(365 * 86_400_000)).toUTCString()}`,
    'MIME-Version: 1.0',
  ];
  if (roll < 70)
    return Buffer.from([...headers, 'Content-Type: text/plain; charset=utf-8', '', text(2_000 + crypto.randomInt(30_000)), ''].join(CRLF));
  const attachment =
    roll < 80
      ? (shared[crypto.randomInt(shared.length)] as Buffer)
      : crypto.randomBytes(roll < 97 ? 100_000 + crypto.randomInt(400_000) : 2_000_000 + crypto.randomInt(3_000_000));
  const boundary = `b-${crypto.randomUUID()}`;
  return Buffer.from(
    [
      ...headers,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text(1_000 + crypto.randomInt(5_000)),
      `--${boundary}`,
      'Content-Type: application/pdf; name="file.pdf"',
      'Content-Disposition: attachment; filename="file.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment.toString('base64').replace(/.{76}/g, `$&${CRLF}`).trimEnd(),
      `--${boundary}--`,
      '',
    ].join(CRLF),
  );
}

function machine(): Record<string, string> {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    cpu: sh("lscpu | sed -n 's/^Model name:[ \\t]*//p'") || os.cpus()[0]?.model || '?',
    nproc: sh('nproc'),
    memory: sh('free -g | awk \'/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}\''),
    disk: sh(`df -h ${os.tmpdir()} | awk 'NR==2 {print $1 " (" $2 ")"}'`),
    kernel: os.release(),
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
    node: process.version,
  };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-snapshot-'));
  const [smtp, imap, pop3, api, mongodb, redis] = (await freePorts(6)) as [number, number, number, number, number, number];
  const config = loadConfig({
    cwd: dataDir,
    overrides: { dataDir, ports: { smtp, imap, pop3, api, mongodb, redis }, logLevel: 'warn', mongodb: { database: 'kura-bench' } },
  });
  const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
  say(`data dir ${dataDir}; target ${Math.round(targetBytes / MB)} MB of mail for ${userCount} users`);
  const stack = await startStack(config);
  const interrupted = () => {
    void stack.stop().then(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const results: Record<string, unknown> = {};
  try {
    // Templates: real messages stored by WildDuck's own handler (MIME tree, attachments in GridFS, threads).
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    const userIds: ObjectId[] = [];
    for (let u = 0; u < userCount; u++) {
      userIds.push(
        (await ensureUser(store, { username: `user${u}`, password: 'bench-password', address: `user${u}@${config.demo.domain}` })).id,
      );
    }
    const shared = Array.from({ length: 4 }, () => crypto.randomBytes(300_000));
    let stored = 0;
    let messages = 0;
    const fill = await measured(async () => {
      for (let i = 0; i < templateCount; i++) {
        const raw = generate(`user${i % userIds.length}@${config.demo.domain}`, i, shared);
        await store.messages.addAsync({
          user: userIds[i % userIds.length],
          path: 'INBOX',
          flags: i % 3 ? ['\\Seen'] : [],
          raw,
          meta: { source: 'bench', time: new Date() },
        });
        stored += raw.length;
        messages++;
      }
      say(`stored ${templateCount} template messages (${Math.round(stored / MB)} MB) through WildDuck's message handler`);
      // Then clone them at the document level until the store is big enough: new message ids, UIDs and
      // attachment files (new GridFS ids and chunks, so attachment bytes grow too). WildDuck's per-message
      // lookups get slower as the local data tier grows; bulk inserts do not.
      const db = store.db;
      const templates = await db.collection('messages').find({}).toArray();
      const files = new Map<string, { file: Document; chunks: Document[] }>();
      for (const t of templates) {
        for (const id of Object.values((t.mimeTree?.attachmentMap ?? {}) as Record<string, Binary>)) {
          const key = Buffer.from(id.buffer).toString('hex');
          if (files.has(key)) continue;
          const file = (await db.collection('attachments.files').findOne({ _id: id } as Document)) as Document;
          const chunks = await db
            .collection('attachments.chunks')
            .find({ files_id: id } as Document)
            .sort({ n: 1 })
            .toArray();
          files.set(key, { file, chunks });
        }
      }
      const mailboxes = new Map<string, { id: ObjectId; uid: number; modseq: number }>();
      for (const mb of await db.collection('mailboxes').find({ path: 'INBOX' }).toArray()) {
        mailboxes.set(String(mb.user), { id: mb._id, uid: mb.uidNext - 1, modseq: mb.modifyIndex });
      }
      const storage = new Map<string, number>();
      let lastSay = Date.now();
      while (stored < targetBytes) {
        const batch: Document[] = [];
        const fileDocs: Document[] = [];
        const chunkDocs: Document[] = [];
        let batchBytes = 0;
        while (batchBytes < 16 * MB && stored + batchBytes < targetBytes) {
          const t = templates[messages % templates.length] as Document;
          const user = userIds[messages % userIds.length] as ObjectId;
          const mailbox = mailboxes.get(String(user)) as { id: ObjectId; uid: number; modseq: number };
          mailbox.uid++;
          mailbox.modseq++;
          const attachmentMap: Record<string, Binary> = {};
          for (const [name, id] of Object.entries((t.mimeTree?.attachmentMap ?? {}) as Record<string, Binary>)) {
            const source = files.get(Buffer.from(id.buffer).toString('hex'));
            if (!source) continue;
            const newId = new Binary(crypto.randomBytes(32));
            attachmentMap[name] = newId;
            fileDocs.push({ ...source.file, _id: newId, metadata: { ...source.file.metadata, c: 1, m: t.magic } });
            for (const c of source.chunks) chunkDocs.push({ ...c, _id: new ObjectId(), files_id: newId });
            batchBytes += source.file.length;
          }
          batch.push({
            ...t,
            _id: new ObjectId(),
            user,
            mailbox: mailbox.id,
            uid: mailbox.uid,
            modseq: mailbox.modseq,
            mimeTree: { ...t.mimeTree, attachmentMap },
          });
          storage.set(String(user), (storage.get(String(user)) ?? 0) + t.size);
          stored += t.size;
          messages++;
          batchBytes += t.size;
        }
        for (let i = 0; i < chunkDocs.length; i += 32) await db.collection('attachments.chunks').insertMany(chunkDocs.slice(i, i + 32));
        if (fileDocs.length) await db.collection('attachments.files').insertMany(fileDocs);
        await db.collection('messages').insertMany(batch);
        if (Date.now() - lastSay > 10_000) {
          lastSay = Date.now();
          say(`filled ${Math.round(stored / MB)} MB, ${messages} messages`);
        }
      }
      for (const [user, mb] of mailboxes) {
        await db.collection('mailboxes').updateOne({ _id: mb.id }, { $set: { uidNext: mb.uid + 1, modifyIndex: mb.modseq } });
        await db.collection('users').updateOne({ _id: new ObjectId(user) }, { $inc: { storageUsed: storage.get(user) ?? 0 } });
      }
    });
    await store.close();
    say(`filled ${Math.round(stored / MB)} MB in ${messages} messages (${fill.seconds.toFixed(0)} s)`);

    const database = await openDatabase(config.mongodbUri);
    const dest = path.join(dataDir, 'snapshots');
    const create = await measured(() => createSnapshot({ database, dest, chunkBytes: config.snapshot.chunkBytes, kuraVersion: 'bench' }));
    const manifest = create.result.manifest;
    say(`create: ${create.seconds.toFixed(1)} s`);
    const verify = await measured(() => verifySnapshot({ id: create.result.id, dir: create.result.dir, manifest }));
    if (!verify.result.ok) throw new Error(`verify failed: ${JSON.stringify(verify.result.problems)}`);
    say(`verify: ${verify.seconds.toFixed(1)} s`);
    await database.db.dropDatabase();
    const restore = await measured(() =>
      restoreFull(
        { db: database.db },
        { id: create.result.id, dir: create.result.dir, manifest },
        { verifyFirst: false, indexes: ensureWildDuckIndexes },
      ),
    );
    say(`restore: ${restore.seconds.toFixed(1)} s`);
    const restoredMessages = await database.db.collection('messages').countDocuments();
    await database.close();
    if (restoredMessages !== manifest.totals.messages)
      throw new Error(`restored ${restoredMessages} messages, expected ${manifest.totals.messages}`);

    const rate = (seconds: number) => ({
      seconds: Number(seconds.toFixed(1)),
      mbPerSec: Number((manifest.totals.bytes / MB / seconds).toFixed(1)),
      mailMbPerSec: Number((stored / MB / seconds).toFixed(1)),
      messagesPerSec: Math.round(manifest.totals.messages / seconds),
    });
    Object.assign(results, {
      date: new Date().toISOString(),
      machine: machine(),
      store: {
        mailMb: Math.round(stored / MB),
        messages: manifest.totals.messages,
        documents: manifest.totals.documents,
        bsonMb: Math.round(manifest.totals.bytes / MB),
        snapshotMb: Math.round(manifest.totals.compressedBytes / MB),
        chunks: manifest.collections.reduce((n, c) => n + c.chunks.length, 0),
      },
      create: { ...rate(create.seconds), peakRssMb: create.peakRssMb },
      verify: { ...rate(verify.seconds), peakRssMb: verify.peakRssMb },
      restore: { ...rate(restore.seconds), peakRssMb: restore.peakRssMb },
    });
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    writeReport(results);
  } finally {
    await stack.stop();
    if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function writeReport(r: Record<string, unknown>): void {
  const m = r.machine as Record<string, string>;
  const s = r.store as Record<string, number>;
  const row = (name: string, x: Record<string, number>) =>
    `| ${name} | ${x.seconds} s | ${x.mbPerSec} MB/s | ${x.mailMbPerSec} MB/s | ${x.messagesPerSec} messages/s | ${x.peakRssMb} MB |`;
  const section = [
    '## Snapshots',
    '',
    `Measured ${String(r.date).slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:snapshot -- --size-mb ${Math.round(targetBytes / MB)}\` (bench/snapshot.ts) on the local stack`,
    '(FerretDB 1.24 on SQLite, one process; snapshot and data directory on the same disk).',
    '',
    `Machine: ${m.cpu}, ${m.nproc} cores, ${m.memory}; disk ${m.disk}; Linux ${m.kernel}; Node ${m.node};`,
    `load average (1/5/15 min) at the end of the run: ${m.load} (anything above 0 was other work sharing the 2 cores).`,
    '',
    `Store: ${s.messages} messages, ${s.mailMb} MB of mail as received (RFC 5322 bytes), ${s.documents} documents and`,
    `${s.bsonMb} MB of BSON in the store; the snapshot takes ${s.snapshotMb} MB on disk in ${s.chunks} chunks. The mail:`,
    `${templateCount} generated messages (70 % text, 30 % with attachments of 0.1-5 MB of random, incompressible bytes,`,
    "some shared) stored through WildDuck's message handler, then cloned at the document level (new message ids, UIDs",
    'and GridFS attachment files) up to the target size, because per-message delivery on the local data tier slows',
    'down as it grows.',
    '',
    '| step | time | BSON throughput | mail throughput | messages | peak RSS of the process |',
    '| --- | --- | --- | --- | --- | --- |',
    row('create', r.create as Record<string, number>),
    row('verify (checksums, framing, content hashes)', r.verify as Record<string, number>),
    row('restore (full, into the emptied database, with indexes)', r.restore as Record<string, number>),
    '',
    'BSON throughput counts the documents as the snapshot holds them (messages with their parsed MIME tree,',
    'attachment chunks, everything else); mail throughput counts the messages as received. Peak RSS is that of',
    'the benchmark process, which also holds the template mail it clones (tens of MB) in memory.',
    '',
  ].join('\n');
  writeBenchmarkSection(root, '## Snapshots', section);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
