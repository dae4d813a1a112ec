// Import throughput on the local stack.
//
//   npm run bench:import -- [--messages 1000] [--attachment-share 0.1] [--keep]
//
// Starts a private local stack on free loopback ports, writes a Maildir of generated
// mail (text messages of 2-10 KB, a share with a 100 KB-1 MB attachment), then times
// `importUser` (what `kura import` runs per user), the verification that ends it, and a
// rerun that finds everything present. Writes the "## Import" section of docs/BENCHMARKS.md.
// Not part of `npm test`.
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startStack } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { importUser, scanSource, verifyUser } from '@kura/migrate';
import { ensureUser, openStore } from '@kura/store';
import { writeBenchmarkSection } from './src/docs-section.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const count = Number(arg('messages', '1000'));
const attachmentShare = Number(arg('attachment-share', '0.1'));
const keep = args.includes('--keep');
const MB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..');

function generate(dir: string): number {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const text = crypto
      .randomBytes(1024 + Math.floor(Math.random() * 3 * 1024))
      .toString('base64')
      .replace(/.{72}/g, '$&\n');
    const withAttachment = Math.random() < attachmentShare;
    const head = [
      `From: Bench <bench@example.edu>`,
      `To: user@example.edu`,
      `Subject: message ${i}`,
      `Message-ID: <bench-${i}@example.edu>`,
      'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    ];
    const body = withAttachment
      ? [
          ...head,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          text,
          '--b',
          'Content-Type: application/octet-stream',
          'Content-Transfer-Encoding: base64',
          '',
          crypto
            .randomBytes(100 * 1024 + Math.floor(Math.random() * 900 * 1024))
            .toString('base64')
            .replace(/.{76}/g, '$&\n'),
          '--b--',
          '',
        ].join('\n')
      : [...head, '', text, ''].join('\n');
    fs.writeFileSync(path.join(dir, 'cur', `${1770000000 + i}.M${i}P1.bench:2,S`), body);
    bytes += Buffer.byteLength(body);
  }
  return bytes;
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
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
    node: process.version,
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-import-'));
  const [smtp, imap, pop3, api, mongodb, redis] = (await freePorts(6)) as [number, number, number, number, number, number];
  const config = loadConfig({
    cwd: dataDir,
    overrides: { dataDir, ports: { smtp, imap, pop3, api, mongodb, redis }, logLevel: 'warn', mongodb: { database: 'kura-bench' } },
  });
  const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
  const source = path.join(dataDir, 'source', 'Maildir');
  const bytes = generate(source);
  say(`${count} messages, ${(bytes / MB).toFixed(1)} MB in ${source}`);
  const stack = await startStack(config);
  try {
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    try {
      await ensureUser(store, { username: 'bench', password: 'bench-password', address: 'bench@example.edu', quota: 100 * 1024 * MB });
      const scan = await timed(() => scanSource(source));
      const first = await timed(() => importUser(store, { user: 'bench', source }));
      const verify = await timed(() => verifyUser(store, { user: 'bench', source }));
      const rerun = await timed(() => importUser(store, { user: 'bench', source }));
      const imported = first.result.folders.reduce((n, f) => n + f.imported, 0);
      const present = rerun.result.folders.reduce((n, f) => n + f.alreadyPresent, 0);
      if (imported !== count || present !== count || !verify.result.ok)
        throw new Error(`unexpected result: imported ${imported}, present ${present}, verify ${verify.result.ok}`);
      const rate = (seconds: number) => ({
        seconds: +seconds.toFixed(1),
        messagesPerSec: +(count / seconds).toFixed(1),
        mbPerSec: +(bytes / MB / seconds).toFixed(2),
      });
      const results = {
        date: new Date().toISOString(),
        machine: machine(),
        messages: count,
        mb: +(bytes / MB).toFixed(1),
        scan: rate(scan.seconds),
        import: rate(first.seconds),
        verify: rate(verify.seconds),
        rerun: rate(rerun.seconds),
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      writeReport(results);
    } finally {
      await store.close();
    }
  } finally {
    await stack.stop();
    if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function writeReport(r: Record<string, unknown>): void {
  const m = r.machine as Record<string, string>;
  const row = (name: string, x: Record<string, number>) =>
    `| ${name} | ${x.seconds} s | ${x.messagesPerSec} messages/s | ${x.mbPerSec} MB/s |`;
  const section = [
    '## Import',
    '',
    `Measured ${String(r.date).slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:import -- --messages ${r.messages}\` (bench/import.ts) on the local stack`,
    `(FerretDB 1.24 on SQLite, one process): one user, a Maildir of ${r.messages} messages, ${r.mb} MB (text of 2-10 KB,`,
    `${Math.round(attachmentShare * 100)} % with a random attachment of 0.1-1 MB), imported through WildDuck's message handler.`,
    `Machine: ${m.cpu}, ${m.nproc} cores; Node ${m.node}; load average at the end: ${m.load}.`,
    '',
    '| step | time | messages | mail |',
    '| --- | --- | --- | --- |',
    row('list the source', r.scan as Record<string, number>),
    row('import (read, hash, round-trip check, store)', r.import as Record<string, number>),
    row('verify (rebuild every stored message, hash, compare with the source)', r.verify as Record<string, number>),
    row('rerun (everything already there)', r.rerun as Record<string, number>),
    '',
    'One user at a time; `kura import --parallel N` runs N users side by side. Where the time goes was not',
    'profiled; a load average above 2 means other work shared the 2 cores, so the times are pessimistic.',
    'A MongoDB replica set is not measured here (no MongoDB on this machine).',
    '',
  ].join('\n');
  writeBenchmarkSection(root, '## Import', section);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
