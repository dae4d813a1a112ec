import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KuraConfig } from '@kura/config';
import { ImapFlow } from 'imapflow';

const CRLF = '\r\n';
export const kuraBin = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

/** multipart/mixed whose attachment is exactly `data` (base64): the same bytes in two messages share one GridFS file. */
export function messageWithAttachment(to: string, subject: string, data: Buffer, date = new Date()): Buffer {
  const boundary = `----kura-${crypto.randomUUID()}`;
  return Buffer.from(
    [
      'From: Sender <sender@example.org>',
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@example.org>`,
      `Date: ${date.toUTCString()}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Attached: ${subject}.`,
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="report.bin"',
      'Content-Disposition: attachment; filename="report.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      data.toString('base64').replace(/.{76}/g, `$&${CRLF}`).trimEnd(),
      `--${boundary}--`,
      '',
    ].join(CRLF),
  );
}

export interface MessageState {
  uid: number;
  flags: string[];
  internalDate: string;
  size: number;
  sha256: string;
}

export interface MailboxState {
  path: string;
  uidValidity: string;
  messages: MessageState[];
}

export async function withUserImap<T>(config: KuraConfig, user: string, pass: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: config.host, port: config.ports.imap, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Everything an IMAP client caches: mailboxes, UIDVALIDITY, UIDs, flags, internal dates and a hash of every body byte. */
export async function imapState(config: KuraConfig, user: string, pass: string): Promise<MailboxState[]> {
  return withUserImap(config, user, pass, async (client) => {
    const out: MailboxState[] = [];
    const paths = (await client.list()).map((m) => m.path).sort();
    for (const p of paths) {
      const opened = await client.mailboxOpen(p, { readOnly: true });
      const messages: MessageState[] = [];
      if (opened.exists > 0) {
        for await (const msg of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
          const source = msg.source as Buffer;
          messages.push({
            uid: msg.uid,
            flags: [...(msg.flags ?? [])].sort(),
            internalDate: new Date(msg.internalDate as Date).toISOString(),
            size: source.length,
            sha256: crypto.createHash('sha256').update(source).digest('hex'),
          });
        }
      }
      await client.mailboxClose();
      out.push({ path: p, uidValidity: String(opened.uidValidity), messages: messages.sort((a, b) => a.uid - b.uid) });
    }
    return out;
  });
}

/** A kura.config.json for the CLI that points at a running test stack. */
export function writeCliConfig(dir: string, config: KuraConfig, snapshot: Record<string, unknown> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kura.config.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      dataDir: config.dataDir,
      host: config.host,
      ports: config.ports,
      mongodb: { database: config.mongodb.database },
      redis: { db: config.redis.db },
      snapshot,
    }),
  );
  return file;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** JSON lines of stdout (the CLI writes JSON when stdout is not a terminal). */
  events: Array<Record<string, unknown>>;
}

export function spawnKura(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [kuraBin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliRun>((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        events: stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      }),
    ),
  );
  return { child, done };
}

export function runKura(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return spawnKura(args, cwd, env).done;
}

export function lastEvent(run: CliRun, name: string): Record<string, unknown> {
  const found = run.events.filter((e) => e.event === name).pop();
  if (!found) throw new Error(`no '${name}' event; exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return found;
}
