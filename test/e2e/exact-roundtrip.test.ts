import path from 'node:path';
import { serialize } from '@kura/snapshot';
import { openDatabase } from '@kura/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { compare, type Expected, type Fetched, fetchAll, pop3Problems, sendAll } from '../support/corpus/check.js';
import { generateCorpus } from '../support/corpus/generate.js';
import { realWorldMessages, toSmtpForm } from '../support/corpus/real-world.js';
import { lastEvent, runKura, writeCliConfig } from '../support/snapshot.js';
import { newUser, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

/**
 * Every message comes back exactly as it was sent: Kura's pathological corpus
 * and the real-world test mail installed packages ship, over IMAP APPEND and
 * SMTP, read back whole and part by part over IMAP, over POP3, and again after
 * a snapshot, a wiped database and a restore; POP3 reads the restored store.
 */
describe('byte-exact round trip of the MIME corpus', () => {
  // Storage fidelity only: no verdict headers above the trace line, and no pathological sample
  // moved to Junk or refused by rspamd. Verdicts are proven in authentication/rspamd tests.
  const stack = useTestStack('exact', { trust: { rspamd: { enabled: false }, authentication: { enabled: false } } });
  let t: TestStack;
  const expected: Expected[] = [];
  let first: Fetched[] = [];
  // The file's own account: the corpus is the whole of its INBOX, so UID order is the order of `expected`.
  let owner: TestUser;

  beforeAll(async () => {
    t = stack();
    owner = await newUser(t.config, 'exact');
    const corpus = generateCorpus();
    const real = realWorldMessages();
    for (const m of corpus) expected.push({ name: m.name, sent: m.raw, via: 'append', parts: m.parts });
    for (const m of real) {
      expected.push({ name: m.name, sent: m.raw, via: 'append', parts: [] });
      expected.push({ name: `${m.name} (CRLF)`, sent: toSmtpForm(m.raw), via: 'append', parts: [] });
    }
    // Over SMTP a sixth of the SMTP-safe corpus (a spread of structures and header styles) and the large ones: the
    // store path is the same as APPEND's, and SMTP delivery is the slowest step of the run.
    // Identical bytes to the same recipient are one message and its retry (stored once): each is sent once.
    const seen = new Set<string>();
    const once = (raw: Buffer) => !seen.has(raw.toString('latin1')) && seen.add(raw.toString('latin1'));
    for (const m of corpus.filter((c) => c.smtp).filter((c, i) => i % 6 === 0 || c.name.startsWith('large')))
      if (once(m.raw)) expected.push({ name: `${m.name} (SMTP)`, sent: m.raw, via: 'smtp', parts: m.parts });
    for (const m of real)
      if (once(toSmtpForm(m.raw))) expected.push({ name: `${m.name} (SMTP)`, sent: toSmtpForm(m.raw), via: 'smtp', parts: [] });
    console.log(JSON.stringify({ corpus: corpus.length, realWorld: real.length, roundTrips: expected.length }));

    // APPEND first, then SMTP: INBOX's UID order is the order of `expected`.
    const started = Date.now();
    const failed: string[] = [];
    await withImap(
      t.config,
      async (client) => {
        for (const m of expected.filter((e) => e.via === 'append')) {
          const appended = await client.append('INBOX', m.sent).catch((err: Error & { responseText?: string }) => {
            failed.push(`${m.name}: ${err.responseText ?? err.message}`);
          });
          if (appended === false) failed.push(`${m.name}: not appended`);
        }
      },
      owner,
    );
    expect(failed).toEqual([]);
    console.log(JSON.stringify({ appendedMs: Date.now() - started }));
    const refused = await sendAll(
      t.config.ports.smtp,
      owner.address,
      expected.filter((e) => e.via === 'smtp'),
    );
    expect(refused).toEqual([]);
    console.log(JSON.stringify({ sentMs: Date.now() - started }));
  }, 600_000);

  /** Bytes the store holds for the user's mail: message documents, original sources, other GridFS files. */
  async function storageFigures() {
    const database = await openDatabase(t.config.mongodbUri);
    try {
      const sources = new Set<string>();
      let documents = 0;
      let inlineSources = 0;
      let inlineBytes = 0;
      for await (const doc of database.db.collection('messages').find({})) {
        documents += serialize(doc).length;
        const source = doc.mimeTree?.attachmentMap?.SOURCE;
        if (source) sources.add(Buffer.from(source.buffer).toString('hex'));
        if (doc.mimeTree?.source) {
          inlineSources++;
          inlineBytes += doc.mimeTree.source.length();
        }
      }
      let sourceBytes = 0;
      let otherFileBytes = 0;
      for await (const file of database.db.collection('attachments.files').find({}, { projection: { length: 1 } })) {
        if (sources.has(Buffer.from((file._id as unknown as { buffer: Uint8Array }).buffer).toString('hex'))) sourceBytes += file.length;
        else otherFileBytes += file.length;
      }
      return { messageDocumentBytes: documents, inlineSources, inlineBytes, sourceFiles: sources.size, sourceBytes, otherFileBytes };
    } finally {
      await database.close();
    }
  }

  async function readBack(whole = false): Promise<Fetched[]> {
    return withImap(
      t.config,
      async (client) => {
        const lock = await client.getMailboxLock('INBOX', { readOnly: true });
        try {
          return await fetchAll(client, whole ? expected.map((e) => ({ ...e, parts: [] })) : expected);
        } finally {
          lock.release();
        }
      },
      owner,
    );
  }

  it('returns every message and every part byte for byte over IMAP', async () => {
    // Cost figures for docs/compatibility.md: one FETCH of every whole message, and what the store holds.
    const started = Date.now();
    const bulk = await withImap(
      t.config,
      async (client) => {
        await client.mailboxOpen('INBOX', { readOnly: true });
        let bytes = 0;
        for await (const msg of client.fetch('1:*', { source: true })) bytes += (msg.source as Buffer).length;
        return bytes;
      },
      owner,
    );
    console.log(
      JSON.stringify({ bulkFetch: { ms: Date.now() - started, messages: expected.length, bytes: bulk }, storage: await storageFigures() }),
    );

    first = await readBack();
    const problems = compare(expected, first);
    const inexact = new Set(problems.map((p) => p.name));
    console.log(JSON.stringify({ imap: { exact: expected.length - inexact.size, of: expected.length }, problems: problems.slice(0, 40) }));
    expect(problems).toEqual([]);
  }, 600_000);

  it('returns the same bytes after snapshot, a wiped database and a restore', async () => {
    expect(first).toHaveLength(expected.length);
    const cliDir = path.join(t.config.dataDir, 'cli');
    writeCliConfig(cliDir, t.config);
    const created = await runKura(['snapshot', 'create'], cliDir);
    expect(created.code, created.stderr).toBe(0);
    const id = String(lastEvent(created, 'created').id);
    const database = await openDatabase(t.config.mongodbUri);
    try {
      await database.db.dropDatabase();
    } finally {
      await database.close();
    }
    const restored = await runKura(['snapshot', 'restore', id], cliDir);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);

    // Whole messages, TEXT and HEADER: the parts are served from the same stored bytes as before.
    const again = await readBack(true);
    expect(again.map((m) => m.uid)).toEqual(first.map((m) => m.uid));
    const problems = compare(
      expected.map((e) => ({ ...e, parts: e.parts.filter((p) => p.path === '') })),
      again,
    );
    console.log(JSON.stringify({ restored: { exact: expected.length - new Set(problems.map((p) => p.name)).size, of: expected.length } }));
    expect(problems).toEqual([]);
  }, 600_000);

  it('returns the same bytes over POP3 from the restored store (RETR, and TOP n 0 for the header), for a sample', async () => {
    expect(first).toHaveLength(expected.length);
    const { checked, problems } = await pop3Problems(t.config, first, owner);
    console.log(JSON.stringify({ pop3: { exact: checked - new Set(problems.map((p) => p.uid)).size, of: checked } }));
    expect(checked).toBeGreaterThanOrEqual(30);
    expect(problems).toEqual([]);
  }, 600_000);
});
