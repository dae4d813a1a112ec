import fs from 'node:fs';
import path from 'node:path';
import { contentHash, decodeFolderName, toWireForm } from '@kura/migrate';
import { ImapFlow } from 'imapflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBulkMaildir, buildMaildir, buildMbox, type Expected } from '../support/mail-sources.js';
import { Pop3Client } from '../support/pop3-client.js';
import { type CliRun, lastEvent, runKura, spawnKura, writeCliConfig } from '../support/snapshot.js';
import { tempDataDir, useTestStack } from '../support/stack.js';

const stack = useTestStack('import');
let work: string;
let cliDir: string;

beforeAll(() => {
  work = tempDataDir('import-sources');
  cliDir = writeCliConfig(path.join(work, 'cli'), stack().config) && path.join(work, 'cli');
  return () => fs.rmSync(work, { recursive: true, force: true });
});

const kura = (...args: string[]) => runKura([...args, '--json'], cliDir);
const events = (run: CliRun, name: string) => run.events.filter((e) => e.event === name);
const password = (user: string) => `${user}-password`;

async function addUser(user: string, extra: string[] = []): Promise<void> {
  const run = await kura('user', 'add', user, '--password', password(user), '--address', `${user}@${stack().config.demo.domain}`, ...extra);
  expect(run.code, run.stderr).toBe(0);
}

interface Seen {
  mailbox: string;
  uid: number;
  source: Buffer;
  flags: string[];
  internalDate: Date;
}

/** Every message of every mailbox, as an IMAP client of the user sees it. */
async function imapView(user: string): Promise<Seen[]> {
  const { config } = stack();
  const client = new ImapFlow({
    host: config.host,
    port: config.ports.imap,
    secure: false,
    auth: { user, pass: password(user) },
    logger: false,
  });
  await client.connect();
  try {
    const out: Seen[] = [];
    for (const box of await client.list()) {
      if (box.flags.has('\\Noselect') || box.flags.has('\\NonExistent')) continue;
      const lock = await client.getMailboxLock(box.path);
      try {
        const exists = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
        if (!exists) continue;
        for await (const m of client.fetch('1:*', { uid: true, source: true, flags: true, internalDate: true })) {
          out.push({
            mailbox: box.path.split('/').map(decodeFolderName).join('/'),
            uid: m.uid,
            source: m.source as Buffer,
            flags: [...(m.flags as Set<string>)].filter((f) => f !== '\\Recent').sort(),
            internalDate: m.internalDate as Date,
          });
        }
      } finally {
        lock.release();
      }
    }
    return out;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Each expected message is in its mailbox byte for byte (CRLF), with its flags and internal date; nothing else is. */
function expectImported(seen: Seen[], expected: Expected[]): void {
  const left = [...seen];
  for (const e of expected) {
    const wire = toWireForm(e.raw);
    const at = left.findIndex((s) => s.mailbox === e.mailbox && s.source.equals(wire));
    expect(at, `${e.mailbox}: ${e.raw.subarray(0, 160).toString()}`).toBeGreaterThanOrEqual(0);
    const [found] = left.splice(at, 1);
    expect(found?.flags, e.raw.subarray(0, 200).toString()).toEqual([...e.flags].sort());
    if (e.date) expect(found?.internalDate.getTime()).toBe(Math.floor(e.date.getTime() / 1000) * 1000);
  }
  expect(left.map((s) => `${s.mailbox} ${s.uid}`)).toEqual([]);
}

describe('kura import', () => {
  it('moves a Maildir++ tree byte for byte with folders, flags, keywords and dates; sets aside what cannot be stored; a rerun adds nothing', async () => {
    await addUser('alice');
    const root = path.join(work, 'alice-Maildir');
    const { expected, unstorable } = buildMaildir(root, { bigBytes: 15 * 1024 * 1024 });

    const first = await kura('import', root, '--user', 'alice');
    // Exit 1: two files could not be stored, and the run says so instead of skipping them.
    expect(first.code, first.stderr).toBe(1);
    const quota = lastEvent(first, 'quota');
    expect(first.events.indexOf(quota)).toBeLessThan(first.events.indexOf(lastEvent(first, 'imported')));
    expect(quota.fits).toBe(true);
    const imported = lastEvent(first, 'imported') as {
      setAside: Array<{ message: string; problem: string }>;
      warnings: Array<{ message: string }>;
    };
    expect(imported.setAside.map((p) => p.message).sort()).toEqual(unstorable);
    expect(imported.warnings).toContainEqual(
      expect.objectContaining({ message: 'cur/1772000010.M10P1.old:2,S', problem: expect.stringMatching(/stored as it is/) }),
    );
    const verified = lastEvent(first, 'verified') as { ok: boolean; folders: Array<{ path: string; missing: string[] }> };
    expect(verified.folders.flatMap((f) => f.missing).sort()).toEqual(unstorable);

    expectImported(await imapView('alice'), expected);

    const again = await kura('import', 'run', root, '--user', 'alice', '--no-verify');
    const rerun = lastEvent(again, 'imported') as { folders: Array<{ imported: number; alreadyPresent: number }> };
    expect(rerun.folders.reduce((n, f) => n + f.imported, 0)).toBe(0);
    expect(rerun.folders.reduce((n, f) => n + f.alreadyPresent, 0)).toBe(expected.length);
    expectImported(await imapView('alice'), expected);

    // A flag the user changes after the import shows up in verify, named.
    const { config } = stack();
    const client = new ImapFlow({
      host: config.host,
      port: config.ports.imap,
      secure: false,
      auth: { user: 'alice', pass: password('alice') },
      logger: false,
    });
    await client.connect();
    await client.mailboxOpen('Archive/2024');
    await client.messageFlagsAdd('1:*', ['\\Flagged']);
    await client.logout();
    const check = await kura('import', 'verify', root, '--user', 'alice');
    expect(check.code).toBe(1);
    const report = lastEvent(check, 'verified') as { folders: Array<{ path: string; flagsDiffer: Array<{ message: string }> }> };
    expect(report.folders.find((f) => f.path === 'Archive/2024')?.flagsDiffer.map((d) => d.message)).toEqual([
      'cur/1772000013.M13P1.old:2,D',
    ]);
  }, 300_000);

  it('imports mboxrd with From_ quoting and status headers, refuses a user who is over quota before writing, and traces an imported message', async () => {
    await addUser('bob');
    const file = path.join(work, 'bob.mbox');
    const expected = buildMbox(file);
    const run = await kura('import', file, '--user', 'bob');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((lastEvent(run, 'verified') as { ok: boolean }).ok).toBe(true);
    expectImported(await imapView('bob'), expected);

    const msgid = /Message-ID: (<[^>]+>)/.exec(expected[1]?.raw.toString() ?? '')?.[1] as string;
    const traced = await kura('trace', msgid, '--user', 'bob');
    expect(traced.code, traced.stderr).toBe(0);
    const hits = (traced.events[0] as unknown as { stored: Array<{ user: string; mailbox: string; source: string }> }).stored;
    expect(hits).toEqual([expect.objectContaining({ user: 'bob', mailbox: 'INBOX', source: 'IMPORT' })]);

    await addUser('erin', ['--quota', '200']);
    const refused = await kura('import', file, '--user', 'erin');
    expect(refused.code, refused.stdout).toBe(1);
    expect(lastEvent(refused, 'quota').fits).toBe(false);
    expect(String(lastEvent(refused, 'failed').fix)).toMatch(/kura user quota/);
    expect(events(refused, 'imported')).toEqual([]);
    expect(await imapView('erin')).toEqual([]);
  }, 120_000);

  it('imports a domain from a mapping in parallel, survives kill -9 half-way without a gap or duplicate, and POP3 lists the whole maildrop', async () => {
    await addUser('carol');
    await addUser('dave');
    const carol = buildBulkMaildir(path.join(work, 'spool', 'c.old', 'Maildir'), 600);
    const dave = buildMbox(path.join(work, 'spool', 'd.old', 'mbox'));
    fs.writeFileSync(path.join(work, 'users.csv'), 'login,user,source\nc.old,carol,spool/c.old/Maildir\nd.old,dave,spool/d.old/mbox\n');
    const map = ['--map', path.join(work, 'users.csv'), '--parallel', '2'];

    const dry = await kura('import', ...map, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      events(dry, 'imported')
        .map((e) => (e.folders as Array<{ imported: number }>)[0]?.imported)
        .sort(),
    ).toEqual([3, 600]);
    expect(await imapView('carol')).toEqual([]);

    // Kill the import once part of carol's mail is in, then run it again.
    const { child, done } = spawnKura(['import', ...map, '--json'], cliDir);
    const deadline = Date.now() + 120_000;
    while ((await inboxCount('carol')) < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await done;
    const partial = await inboxCount('carol');
    expect(partial).toBeGreaterThanOrEqual(100);
    expect(partial).toBeLessThan(600);

    const resumed = await kura('import', ...map);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const carolRun = events(resumed, 'imported').find((e) => e.user === 'carol') as {
      folders: Array<{ imported: number; alreadyPresent: number }>;
    };
    expect((carolRun.folders[0]?.imported ?? 0) + (carolRun.folders[0]?.alreadyPresent ?? 0)).toBe(600);
    expect(carolRun.folders[0]?.alreadyPresent).toBeGreaterThanOrEqual(partial);
    expect(events(resumed, 'verified').map((e) => e.ok)).toEqual([true, true]);
    const seen = await imapView('carol');
    expect(seen.map((s) => contentHash(s.source)).sort()).toEqual(carol.map((raw) => contentHash(toWireForm(raw))).sort());
    expectImported(await imapView('dave'), dave);

    // POP3 shows all 600 (WildDuck alone would list the newest 250), and RETR returns the bytes.
    const { client } = await Pop3Client.connect(stack().config.ports.pop3);
    try {
      await client.login('carol', password('carol'));
      expect(await client.command('STAT')).toMatch(/^\+OK 600 /);
      const uidl = (await client.multiline('UIDL')).body.toString().trim().split('\r\n');
      expect(new Set(uidl.map((l) => l.split(' ')[1])).size).toBe(600);
      // Exactly the stored bytes (Kura's byte-exact patch: no CRLF added before the terminating dot).
      const oldest = (await client.multiline('RETR 1')).body;
      expect(carol.map((raw) => contentHash(toWireForm(raw)))).toContain(contentHash(oldest));
      await client.command('QUIT');
    } finally {
      client.destroy();
    }
  }, 300_000);

  it('stops cleanly on Ctrl-C (exit 130, what is stored stays) and the same command finishes the job', async () => {
    await addUser('kim');
    const source = buildBulkMaildir(path.join(work, 'kim', 'Maildir'), 200);
    const { child, done } = spawnKura(['import', path.join(work, 'kim', 'Maildir'), '--user', 'kim', '--json'], cliDir);
    const deadline = Date.now() + 60_000;
    while ((await inboxCount('kim')) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    const stopped = await done;
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
    expect(events(stopped, 'interrupted')).toHaveLength(1);
    const partial = await inboxCount('kim');
    expect(partial).toBeLessThan(200);
    const resumed = await kura('import', path.join(work, 'kim', 'Maildir'), '--user', 'kim');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const folder = (lastEvent(resumed, 'imported').folders as Array<{ imported: number; alreadyPresent: number }>)[0];
    expect(folder?.alreadyPresent).toBe(partial);
    expect((folder?.imported ?? 0) + partial).toBe(200);
    expect((await imapView('kim')).map((s) => contentHash(s.source)).sort()).toEqual(
      source.map((raw) => contentHash(toWireForm(raw))).sort(),
    );
  }, 180_000);

  it('imports from another IMAP server: every folder, flags, keywords, internal dates, SPECIAL-USE', async () => {
    // henry's account on the running WildDuck plays the old server; grace is the new account.
    await addUser('henry');
    await addUser('grace');
    const { config } = stack();
    const old = new ImapFlow({
      host: config.host,
      port: config.ports.imap,
      secure: false,
      auth: { user: 'henry', pass: password('henry') },
      logger: false,
    });
    await old.connect();
    try {
      await old.mailboxCreate('Projects/Kura');
      const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));
      await old.append(
        'INBOX',
        crlf('Subject: keyword\nMessage-ID: <imap-1@example.edu>\n\nbody\nsecond line\n'),
        ['\\Seen', '$Work'],
        new Date('2025-06-01T08:00:00Z'),
      );
      await old.append('Projects/Kura', crlf('Subject: deep\n\nflagged\n'), ['\\Flagged'], new Date('2025-06-02T08:00:00Z'));
      await old.append('Sent Mail', crlf('Subject: sent\n\nout\n'), ['\\Seen'], new Date('2025-06-03T08:00:00Z'));
    } finally {
      await old.logout();
    }
    const run = await runKura(['import', `imap://henry@${config.host}:${config.ports.imap}`, '--user', 'grace', '--json'], cliDir, {
      KURA_IMAP_PASSWORD: password('henry'),
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((lastEvent(run, 'verified') as { ok: boolean }).ok).toBe(true);
    const view = (seen: Seen[]) =>
      seen.map((s) => `${s.mailbox} ${contentHash(s.source)} ${s.flags.join(',')} ${s.internalDate.toISOString()}`).sort();
    const source = await imapView('henry');
    expect(source).toHaveLength(3);
    expect(view(await imapView('grace'))).toEqual(view(source));
    expect(run.stdout).not.toContain(password('henry'));
  }, 300_000);

  it('operator commands: user show, quota, pop3-limit, disable/enable, passwd, list, rm', async () => {
    await addUser('ivy', ['--quota', '2G', '--name', 'Ivy Example']);
    const show = await kura('user', 'show', `ivy@${stack().config.demo.domain}`);
    expect(show.code, show.stderr).toBe(0);
    expect(show.events[0]).toMatchObject({
      username: 'ivy',
      name: 'Ivy Example',
      quota: 2 * 1024 ** 3,
      disabled: false,
      pop3MaxMessages: 0,
    });
    expect((await kura('user', 'quota', 'ivy', '500M')).events[0]).toMatchObject({ quota: 500 * 1024 ** 2 });
    expect((await kura('user', 'pop3-limit', 'ivy', '300')).events[0]).toMatchObject({ pop3MaxMessages: 300 });
    const login = async (pass: string) => {
      const { config } = stack();
      const c = new ImapFlow({ host: config.host, port: config.ports.imap, secure: false, auth: { user: 'ivy', pass }, logger: false });
      try {
        await c.connect();
        await c.logout();
        return true;
      } catch {
        c.close();
        return false;
      }
    };
    expect(await login(password('ivy'))).toBe(true);
    expect((await kura('user', 'disable', 'ivy')).events[0]).toMatchObject({ disabled: true });
    expect(await login(password('ivy'))).toBe(false);
    expect((await kura('user', 'enable', 'ivy')).code).toBe(0);
    expect((await kura('user', 'passwd', 'ivy', '--password', 'a-new-secret')).code).toBe(0);
    expect(await login(password('ivy'))).toBe(false);
    expect(await login('a-new-secret')).toBe(true);
    const list = await kura('user', 'list', '-q', 'iv');
    expect(list.events.map((u) => u.username)).toEqual(['ivy']);
    const bad = await kura('user', 'quota', 'ivy', 'lots');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/e\.g\. 2G/);
    const unsure = await kura('user', 'rm', 'ivy');
    expect(unsure.code).toBe(1);
    expect(unsure.stderr).toMatch(/--yes/);
    const removed = await kura('user', 'rm', 'ivy', '--yes');
    expect(removed.events[0]).toMatchObject({ event: 'deleted', username: 'ivy' });
    expect(await login('a-new-secret')).toBe(false);
    expect((await kura('user', 'show', 'ivy')).code).toBe(1);
  }, 120_000);

  it('gives errors that name the fix', async () => {
    const noUser = await kura('import', path.join(work, 'nowhere'));
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toMatch(/--user/);
    const unknown = await kura('import', path.join(work, 'bob.mbox'), '--user', 'nobody-here');
    expect(unknown.code).toBe(1);
    expect(String(lastEvent(unknown, 'failed').fix)).toMatch(/kura user add/);
    const notMbox = path.join(work, 'notes.txt');
    fs.writeFileSync(notMbox, 'not mail\n');
    await addUser('frank');
    const bad = await kura('import', notMbox, '--user', 'frank');
    expect(bad.code).toBe(1);
    expect(String(lastEvent(bad, 'failed').error)).toMatch(/does not start with a "From " line/);
    const missing = await kura('user', 'passwd', 'nobody-here', '--password', 'long-enough');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/kura user list/);
  }, 60_000);
});

async function inboxCount(user: string): Promise<number> {
  const { config } = stack();
  const client = new ImapFlow({
    host: config.host,
    port: config.ports.imap,
    secure: false,
    auth: { user, pass: password(user) },
    logger: false,
  });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? (status.messages ?? 0) : 0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
