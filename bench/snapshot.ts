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
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startStack } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { createSnapshot, restoreFull, verifySnapshot } from '@kura/snapshot';
import { ensureUser, ensureWildDuckIndexes, openDatabase, openStore } from '@kura/store';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const targetBytes = Number(arg('size-mb', '1024')) * 1024 * 1024;
const userCount = Number(arg('users', '20'));
const keep = args.includes('--keep');
const MB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..');

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

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
  const results: Record<string, unknown> = {};
  try {
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    const userIds = [];
    for (let u = 0; u < userCount; u++) {
      userIds.push(
        (await ensureUser(store, { username: `user${u}`, password: 'bench-password', address: `user${u}@${config.demo.domain}` })).id,
      );
    }
    const shared = Array.from({ length: 8 }, () => crypto.randomBytes(300_000));
    let stored = 0;
    let messages = 0;
    const fill = await measured(async () => {
      let lastSay = Date.now();
      const worker = async () => {
        while (stored < targetBytes) {
          const i = messages++;
          const user = userIds[i % userIds.length];
          const raw = generate(`user${i % userIds.length}@${config.demo.domain}`, i, shared);
          stored += raw.length;
          await store.messages
            .addAsync({
              user,
              path: i % 10 === 0 ? 'Archive' : 'INBOX',
              flags: i % 3 ? ['\\Seen'] : [],
              raw,
              meta: { source: 'bench', time: new Date() },
            })
            .catch(async (err: Error) => {
              if (
                !/Mailbox is missing|TRYCREATE/i.test(err.message) &&
                !String((err as { imapResponse?: string }).imapResponse).includes('TRYCREATE')
              )
                throw err;
              await store.messages.addAsync({ user, path: 'INBOX', flags: [], raw, meta: { source: 'bench', time: new Date() } });
            });
          if (Date.now() - lastSay > 10_000) {
            lastSay = Date.now();
            say(`filled ${Math.round(stored / MB)} MB, ${messages} messages`);
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    });
    await store.close();
    say(
      `filled ${Math.round(stored / MB)} MB in ${messages} messages (${fill.seconds.toFixed(0)} s, ${(stored / MB / fill.seconds).toFixed(1)} MB/s)`,
    );

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
    `Machine: ${m.cpu}, ${m.nproc} cores, ${m.memory}; disk ${m.disk}; Linux ${m.kernel}; Node ${m.node}.`,
    '',
    `Store: ${s.messages} generated messages, ${s.mailMb} MB of mail as received (RFC 5322 bytes; 70 % text, 30 % with`,
    `attachments of 0.1-5 MB of random, incompressible bytes, a tenth of them shared), ${s.documents} documents and`,
    `${s.bsonMb} MB of BSON in the store; the snapshot takes ${s.snapshotMb} MB on disk in ${s.chunks} chunks.`,
    '',
    '| step | time | BSON throughput | mail throughput | messages | peak RSS of the process |',
    '| --- | --- | --- | --- | --- | --- |',
    row('create', r.create as Record<string, number>),
    row('verify (checksums, framing, content hashes)', r.verify as Record<string, number>),
    row('restore (full, into the emptied database, with indexes)', r.restore as Record<string, number>),
    '',
    'BSON throughput counts the documents as the snapshot holds them (messages with their parsed MIME tree,',
    'attachment chunks, everything else); mail throughput counts the messages as received. Peak RSS is that of',
    'the benchmark process, which also generated the mail: it stays flat with store size because every step streams.',
    '',
  ].join('\n');
  const file = path.join(root, 'docs', 'BENCHMARKS.md');
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = doc.indexOf('## Snapshots');
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + 1);
    doc = doc.slice(0, start) + section + (next >= 0 ? doc.slice(next + 1) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${section}`;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
  process.stdout.write(`[bench] wrote ${path.relative(root, file)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
