import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, MAIL_GID, MAIL_UID, startDovecot } from '../../bench/src/stacks/dovecot.ts';
import { lastEvent, runKura, writeCliConfig } from '../support/snapshot.js';
import { newUser, useTestStack } from '../support/stack.js';

const stack = useTestStack('import-dovecot');
const DOMAIN = 'old.example.edu';
const PASSWORD = 'old-server-password';
let root: string;
let dovecot: Dovecot;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-dovecot-'));
  // Dovecot's processes drop to unprivileged users and must be able to walk in.
  fs.chmodSync(root, 0o755);
  dovecot = await startDovecot({ root, users: ['olduser'], domain: DOMAIN, password: PASSWORD });
}, 60_000);
afterAll(async () => {
  await dovecot?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** One file of the old spool: written as an LDA would, owned by the mail user, dated by its mtime (Dovecot's internal date). */
function put(dir: string, name: string, raw: Buffer, date: Date): void {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, raw);
  fs.utimesSync(file, date, date);
}

function chownTree(dir: string): void {
  fs.chownSync(dir, MAIL_UID, MAIL_GID);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full);
    else fs.chownSync(full, MAIL_UID, MAIL_GID);
  }
}

/** A Maildir++ spool with keywords, replied and flagged mail, unread mail in new/, a deep folder, Sent, 8-bit headers, no final newline. */
function buildSpool(maildir: string): void {
  const day = (d: number) => new Date(Date.UTC(2024, 0, d, 9, 30));
  const msg = (subject: string, body: string, extra = '') =>
    Buffer.from(
      `From: Old Friend <friend@example.org>\nTo: olduser@${DOMAIN}\nSubject: ${subject}\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\n${extra}\n${body}`,
    );
  fs.writeFileSync(path.join(maildir, 'dovecot-keywords'), '0 $Work\n1 NonJunk\n');
  put(maildir, 'cur/1704101400.M1P1.old:2,Sa', msg('keyword', 'tagged as work\n'), day(1));
  put(maildir, 'cur/1704187800.M2P1.old:2,RS', msg('replied', 'answered already\n'), day(2));
  put(maildir, 'new/1704274200.M3P1.old', msg('unread', 'not seen yet\n'), day(3));
  put(
    maildir,
    'cur/1704360600.M4P1.old:2,S',
    msg('grüße aus köln', 'eight-bit header, and no final newline', 'Content-Type: text/plain; charset=utf-8\n'),
    day(4),
  );
  put(path.join(maildir, '.Projects.Kura'), 'cur/1704447000.M5P1.old:2,FS', msg('deep', 'in a subfolder\n'), day(5));
  put(path.join(maildir, '.Sent'), 'cur/1704533400.M6P1.old:2,S', msg('sent', 'sent by the user\n'), day(6));
  chownTree(maildir);
}

/** Every message of an account as `folder sha256 flags date`, folders by SPECIAL-USE when they have one. */
async function accountView(port: number, user: string, pass: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const out: string[] = [];
    for (const box of await client.list()) {
      if (box.flags.has('\\Noselect') || box.flags.has('\\NonExistent')) continue;
      const folder = box.specialUse && box.specialUse !== '\\Inbox' ? box.specialUse : box.path.split(box.delimiter || '/').join('/');
      const opened = await client.mailboxOpen(box.path, { readOnly: true });
      if (opened.exists)
        for await (const m of client.fetch('1:*', { source: true, flags: true, internalDate: true })) {
          const flags = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
          const hash = crypto
            .createHash('sha256')
            .update(m.source as Buffer)
            .digest('hex');
          out.push(`${folder} ${hash} ${flags.join(',')} ${new Date(m.internalDate as Date).toISOString()}`);
        }
      await client.mailboxClose();
    }
    return out.sort();
  } finally {
    await client.logout().catch(() => client.close());
  }
}

describe('kura import from a Dovecot server over IMAP', () => {
  it('moves every folder byte for byte with flags, keywords, dates and SPECIAL-USE; verify agrees; a rerun adds nothing', async () => {
    buildSpool(dovecot.maildir('olduser'));
    dovecot.resync('olduser', '*');
    const source = await accountView(dovecot.ports.imap, `olduser@${DOMAIN}`, PASSWORD);
    expect(source).toHaveLength(6);
    expect(source.join('\n')).toContain('$Work');

    const { config } = stack();
    const user = await newUser(config, 'from-dovecot');
    const cliDir = path.join(root, 'cli');
    writeCliConfig(cliDir, config);
    const url = `imap://${encodeURIComponent(`olduser@${DOMAIN}`)}@127.0.0.1:${dovecot.ports.imap}`;
    const env = { KURA_IMAP_PASSWORD: PASSWORD };
    const run = await runKura(['import', url, '--user', user.username, '--json'], cliDir, env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((lastEvent(run, 'verified') as { ok: boolean }).ok).toBe(true);
    expect(run.stdout).not.toContain(PASSWORD);

    expect(await accountView(config.ports.imap, user.username, user.password)).toEqual(source);
    // Reading over IMAP left the old server as it was (read-only: unread mail is still unread).
    expect(await accountView(dovecot.ports.imap, `olduser@${DOMAIN}`, PASSWORD)).toEqual(source);

    const again = await runKura(['import', url, '--user', user.username, '--json'], cliDir, env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const folders = lastEvent(again, 'imported').folders as Array<{ imported: number; alreadyPresent: number }>;
    expect(folders.reduce((n, f) => n + f.imported, 0)).toBe(0);
    expect(folders.reduce((n, f) => n + f.alreadyPresent, 0)).toBe(6);
  }, 180_000);
});
