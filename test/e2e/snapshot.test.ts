import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureUser, openDatabase, openStore } from '@kura/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { sendMail } from '../support/smtp-client.js';
import {
  imapState,
  lastEvent,
  type MailboxState,
  messageWithAttachment,
  runKura,
  withUserImap,
  writeCliConfig,
} from '../support/snapshot.js';
import { startTestStack, type TestStack, tempDataDir, testConfig } from '../support/stack.js';

const USERS = [
  { username: 'alice', password: 'alice-password' },
  { username: 'bob', password: 'bob-password' },
  { username: 'carol', password: 'carol-password' },
];

/** Snapshot → wipe → restore, and partial restores into the live store, on the real stack. */
describe('kura snapshot: create, verify, restore', () => {
  let t: TestStack;
  let dataDir: string;
  let cliDir: string;
  let snapshotId: string;
  const before = new Map<string, MailboxState[]>();
  const shared = crypto.randomBytes(2 * 1024 * 1024);
  const address = (user: string) => `${user}@${t.config.demo.domain}`;
  const state = (u: (typeof USERS)[number]) => imapState(t.config, u.username, u.password);
  const alice = USERS[0] as (typeof USERS)[number];

  async function deliver(to: string, message: Buffer): Promise<void> {
    const result = await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [to] }, message);
    expect(result.data?.code, result.data?.text).toBe(250);
  }

  /** The shared attachment's reference count, and the references that messages and archived messages really hold. */
  async function sharedFileRefs(): Promise<{ count: number; refs: number }> {
    const database = await openDatabase(t.config.mongodbUri);
    try {
      const file = await database.db.collection('attachments.files').findOne({ length: shared.length });
      const id = Buffer.from((file?._id as unknown as { buffer: Uint8Array }).buffer).toString('hex');
      let refs = 0;
      for (const name of ['messages', 'archived']) {
        for await (const doc of database.db.collection(name).find({}, { projection: { 'mimeTree.attachmentMap': 1 } })) {
          const map = (doc.mimeTree?.attachmentMap ?? {}) as Record<string, { buffer: Uint8Array }>;
          refs += Object.values(map).filter((v) => Buffer.from(v.buffer).toString('hex') === id).length;
        }
      }
      return { count: Number(file?.metadata?.c), refs };
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    dataDir = tempDataDir('snapshot');
    t = await startTestStack(await testConfig(dataDir));
    cliDir = path.join(dataDir, 'cli');
    writeCliConfig(cliDir, t.config, { chunkBytes: 256 * 1024 });
    const store = await openStore({ mongodbUri: t.config.mongodbUri, redisUrl: t.config.redisUrl });
    try {
      for (const u of USERS)
        await ensureUser(store, { username: u.username, password: u.password, address: `${u.username}@${t.config.demo.domain}` });
    } finally {
      await store.close();
    }
    // Over SMTP: plain mail, and one ~2 MB attachment that alice and bob both receive (one GridFS file, shared).
    for (let i = 0; i < 3; i++) await deliver(address('alice'), plainMessage(address('alice'), `alice inbox ${i}`));
    await deliver(address('alice'), messageWithAttachment(address('alice'), 'quarterly report', shared));
    await deliver(address('bob'), messageWithAttachment(address('bob'), 'quarterly report (fwd)', shared));
    for (let i = 0; i < 2; i++) await deliver(address('bob'), plainMessage(address('bob'), `bob inbox ${i}`));
    for (let i = 0; i < 2; i++) await deliver(address('carol'), plainMessage(address('carol'), `carol inbox ${i}`));

    // Over IMAP: folders, APPEND with flags and past internal dates, flag changes, an expunge (a UID gap).
    await withUserImap(t.config, alice.username, alice.password, async (client) => {
      await client.mailboxCreate('Projects');
      await client.mailboxCreate('Projects/2026');
      const folder = 'Projects/2026';
      await client.append(folder, plainMessage(address('alice'), 'kickoff'), ['\\Seen'], new Date('2025-03-01T09:30:00Z'));
      await client.append(folder, plainMessage(address('alice'), 'budget'), ['\\Flagged', '$Important'], new Date('2025-06-15T12:00:00Z'));
      await client.append(
        folder,
        messageWithAttachment(address('alice'), 'report copy', shared),
        ['\\Seen', '\\Answered'],
        new Date('2025-07-01T08:00:00Z'),
      );
      await client.append(folder, plainMessage(address('alice'), 'draft'), ['\\Draft'], new Date('2025-08-20T17:45:00Z'));
      await client.append('Sent Mail', plainMessage('someone@example.org', 'sent by alice'), ['\\Seen'], new Date('2025-09-09T09:09:00Z'));
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd({ uid: '1' }, ['\\Seen'], { uid: true });
      await client.messageFlagsAdd({ uid: '2' }, ['\\Answered', '\\Flagged'], { uid: true });
      await client.messageDelete({ uid: '3' }, { uid: true });
    });
    for (const u of USERS) before.set(u.username, await state(u));
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a snapshot that list shows and verify (plain and --deep) accepts', async () => {
    const created = await runKura(['snapshot', 'create'], cliDir);
    expect(created.code, created.stderr).toBe(0);
    const event = lastEvent(created, 'created');
    snapshotId = String(event.id);
    expect(event.messages).toBe(13);
    expect(event.consistency).toBe('none');
    expect(created.events.some((e) => e.event === 'progress' || e.event === 'created')).toBe(true);
    const dir = String(event.dir);
    // Owner only: a snapshot holds all mail, password hashes, TOTP and DKIM secrets.
    for (const d of [path.dirname(dir), dir]) expect((fs.statSync(d).mode & 0o777).toString(8), d).toBe('700');
    for (const f of fs.readdirSync(dir)) expect((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.schema.wildduck).toBe('1.0');
    expect(manifest.formatVersion).toBe(1);
    const names = manifest.collections.map((c: { name: string }) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['users', 'addresses', 'mailboxes', 'messages', 'threads', 'attachments.files', 'attachments.chunks']),
    );
    expect(names).not.toContain('journal');
    // Size-bounded chunks: the ~2 MB attachment spans several 256 KB chunk files.
    const chunks = manifest.collections.find((c: { name: string }) => c.name === 'attachments.chunks').chunks;
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.compressedBytes).toBeLessThan(256 * 1024 + 512 * 1024);

    const list = await runKura(['snapshot', 'list'], cliDir);
    expect(list.events.map((e) => e.id)).toEqual([snapshotId]);
    const verify = await runKura(['snapshot', 'verify', snapshotId], cliDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(lastEvent(verify, 'verified').ok).toBe(true);
    const deep = await runKura(['snapshot', 'verify', snapshotId, '--deep'], cliDir);
    expect(deep.code, deep.stdout + deep.stderr).toBe(0);
    const deepReport = lastEvent(deep, 'verified') as { ok: boolean; deep: { collections: Array<{ hashMatches: boolean }> } };
    expect(deepReport.ok).toBe(true);
    expect(deepReport.deep.collections.every((c) => c.hashMatches)).toBe(true);
  }, 120_000);

  it('wipe + full restore: every mailbox, UIDVALIDITY, UID, flag, internal date and body byte comes back', async () => {
    const refsBefore = await sharedFileRefs();
    expect(refsBefore.count).toBe(refsBefore.refs);
    const database = await openDatabase(t.config.mongodbUri);
    await database.db.dropDatabase();
    await database.close();
    await expect(state(alice)).rejects.toThrow();

    const restored = await runKura(['snapshot', 'restore', snapshotId], cliDir);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(lastEvent(restored, 'restored').messages).toBe(13);
    for (const u of USERS) expect(await state(u)).toEqual(before.get(u.username));
    expect(await sharedFileRefs()).toEqual(refsBefore);

    // A second full restore refuses to write over the restored store.
    const again = await runKura(['snapshot', 'restore', snapshotId], cliDir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
  }, 120_000);

  it('restores one deleted mailbox with its UIDVALIDITY and UIDs while other users keep receiving mail', async () => {
    const folder = 'Projects/2026';
    await withUserImap(t.config, alice.username, alice.password, (client) => client.mailboxDelete(folder));
    const bob = USERS[1] as (typeof USERS)[number];
    const carol = USERS[2] as (typeof USERS)[number];
    const bobBefore = (await state(bob)).find((m) => m.path === 'INBOX')?.messages.length ?? 0;
    const carolBefore = (await state(carol)).find((m) => m.path === 'INBOX')?.messages.length ?? 0;

    const arriving = (async () => {
      for (let i = 0; i < 4; i++) {
        await deliver(address('bob'), plainMessage(address('bob'), `during restore ${i}`));
        await deliver(address('carol'), plainMessage(address('carol'), `during restore ${i}`));
      }
    })();
    const restored = await runKura(['snapshot', 'restore', snapshotId, '--user', 'alice', '--mailbox', folder], cliDir);
    await arriving;
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const report = lastEvent(restored, 'restored') as { messages: number; mailboxes: Array<{ state: string; uids: string }> };
    expect(report.messages).toBe(4);
    expect(report.mailboxes).toEqual([expect.objectContaining({ state: 'created', uids: 'preserved' })]);

    const expected = before.get('alice')?.find((m) => m.path === folder);
    expect((await state(alice)).find((m) => m.path === folder)).toEqual(expected);
    expect((await state(alice)).filter((m) => m.path !== folder)).toEqual(before.get('alice')?.filter((m) => m.path !== folder));
    expect((await state(bob)).find((m) => m.path === 'INBOX')?.messages.length).toBe(bobBefore + 4);
    expect((await state(carol)).find((m) => m.path === 'INBOX')?.messages.length).toBe(carolBefore + 4);

    // Safe to rerun: nothing is added twice.
    const rerun = await runKura(['snapshot', 'restore', snapshotId, '--user', 'alice', '--mailbox', folder], cliDir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(lastEvent(rerun, 'restored').messages).toBe(0);
    expect((await state(alice)).find((m) => m.path === folder)).toEqual(expected);
    const refs = await sharedFileRefs();
    expect(refs.count).toBe(refs.refs);
  }, 120_000);

  it('into a mailbox that holds mail, adds only the missing messages with new UIDs, no duplicates, shared attachment counted', async () => {
    const inboxBefore = before.get('alice')?.find((m) => m.path === 'INBOX') as MailboxState;
    const big = inboxBefore.messages.find((m) => m.size > 1_000_000) as (typeof inboxBefore.messages)[number];
    const plain = inboxBefore.messages[0] as (typeof inboxBefore.messages)[number];
    await withUserImap(t.config, alice.username, alice.password, async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageDelete({ uid: `${big.uid},${plain.uid}` }, { uid: true });
    });
    await deliver(address('alice'), plainMessage(address('alice'), 'new after the snapshot'));
    const inboxNow = (await state(alice)).find((m) => m.path === 'INBOX') as MailboxState;
    const maxUid = Math.max(...inboxNow.messages.map((m) => m.uid));

    const restored = await runKura(['snapshot', 'restore', snapshotId, '--user', 'alice', '--mailbox', 'INBOX'], cliDir);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const report = lastEvent(restored, 'restored') as {
      messages: number;
      mailboxes: Array<{ state: string; uids: string; alreadyPresent: number }>;
    };
    expect(report.messages).toBe(2);
    expect(report.mailboxes).toEqual([
      expect.objectContaining({ state: 'merged', uids: 'new-uids', alreadyPresent: inboxBefore.messages.length - 2 }),
    ]);

    const inboxAfter = (await state(alice)).find((m) => m.path === 'INBOX') as MailboxState;
    expect(inboxAfter.uidValidity).toBe(inboxBefore.uidValidity);
    expect(inboxAfter.messages.length).toBe(inboxNow.messages.length + 2);
    // Messages that stayed keep their UIDs; the restored ones get new UIDs past the highest, same bytes, flags and dates.
    expect(inboxAfter.messages.slice(0, inboxNow.messages.length)).toEqual(inboxNow.messages);
    const added = inboxAfter.messages.slice(inboxNow.messages.length);
    expect(added.every((m) => m.uid > maxUid)).toBe(true);
    const strip = ({ uid: _uid, ...rest }: (typeof added)[number]) => rest;
    expect(added.map(strip).sort((a, b) => a.sha256.localeCompare(b.sha256))).toEqual(
      [strip(big), strip(plain)].sort((a, b) => a.sha256.localeCompare(b.sha256)),
    );
    // Expunged messages wait in `archived` and keep their reference; the restored copy adds one.
    const refs = await sharedFileRefs();
    expect(refs.count).toBe(refs.refs);

    const rerun = await runKura(['snapshot', 'restore', snapshotId, '--user', 'alice', '--mailbox', 'INBOX'], cliDir);
    expect(lastEvent(rerun, 'restored').messages).toBe(0);
    expect((await state(alice)).find((m) => m.path === 'INBOX')).toEqual(inboxAfter);
  }, 120_000);
});
