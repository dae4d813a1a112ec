import crypto from 'node:crypto';
import { appendMessage, listMailboxes, openStore } from '@kura/store';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Pop3Client } from '../support/pop3-client.js';
import { newUser, useTestStack } from '../support/stack.js';

const stack = useTestStack('pop3-maildrop');
const COUNT = 5_000;
/** Stores in flight at once (the data tier, not the client, sets the pace). */
const PARALLEL = 4;

/** A distinct message: its number is in the headers and the body, so no two share bytes. */
function numbered(i: number, to: string): Buffer {
  const filler = crypto.createHash('sha256').update(String(i)).digest('hex');
  return Buffer.from(
    [
      'From: Archive <archive@example.org>',
      `To: <${to}>`,
      `Subject: maildrop ${i}`,
      `Message-ID: <maildrop-${i}-${filler.slice(0, 12)}@example.org>`,
      `Date: ${new Date(Date.UTC(2020, 0, 1) + i * 60_000).toUTCString()}`,
      '',
      `Message ${i} of the maildrop.`,
      `.${filler}`,
      '',
    ].join('\r\n'),
  );
}

describe('POP3 on a large maildrop', () => {
  it(`lists, identifies and retrieves all ${COUNT} messages byte for byte`, async () => {
    const { config } = stack();
    const user = await newUser(config, 'maildrop');

    // Stored through WildDuck's own message handler (as the MX and kura import store mail), several at a time.
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    const sent = new Map<string, Buffer>();
    const fillStarted = Date.now();
    try {
      const userId = new ObjectId(user.id);
      const inbox = (await listMailboxes(store, userId)).find((m) => m.path === 'INBOX');
      if (!inbox) throw new Error('the new user has no INBOX');
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < COUNT) {
            const raw = numbered(next++, user.address);
            await appendMessage(store, { user: userId, mailbox: inbox._id, raw, flags: [], meta: { source: 'TEST' } });
            sent.set(crypto.createHash('sha256').update(raw).digest('hex'), raw);
            if (sent.size % 1000 === 0)
              process.stdout.write(`pop3-maildrop: ${sent.size} stored after ${((Date.now() - fillStarted) / 1000).toFixed(0)} s\n`);
          }
        }),
      );
    } finally {
      await store.close();
    }
    const fillSeconds = (Date.now() - fillStarted) / 1000;
    process.stdout.write(`pop3-maildrop: stored ${COUNT} messages in ${fillSeconds.toFixed(1)} s\n`);

    const readStarted = Date.now();
    const { client } = await Pop3Client.connect(config.ports.pop3);
    try {
      await client.login(user.username, user.password);
      const totalBytes = [...sent.values()].reduce((n, raw) => n + raw.length, 0);
      expect(await client.command('STAT')).toBe(`+OK ${COUNT} ${totalBytes}`);

      const list = (await client.multiline('LIST')).body.toString().trim().split('\r\n');
      const uidl = (await client.multiline('UIDL')).body.toString().trim().split('\r\n');
      expect(list).toHaveLength(COUNT);
      expect(uidl).toHaveLength(COUNT);
      expect(new Set(uidl.map((line) => line.split(' ')[1])).size).toBe(COUNT);

      const seen = new Set<string>();
      for (const line of list) {
        const [n, size] = line.split(' ');
        const { status, body } = await client.multiline(`RETR ${n}`);
        expect(status, `RETR ${n}`).toMatch(/^\+OK/);
        const hash = crypto.createHash('sha256').update(body).digest('hex');
        // Exactly the bytes stored (found by hash), as long as LIST announced, and each message once.
        expect(sent.has(hash), `RETR ${n}: ${body.subarray(0, 120).toString()}`).toBe(true);
        expect(body.length, `LIST ${line}`).toBe(Number(size));
        seen.add(hash);
      }
      expect(seen.size).toBe(COUNT);
      expect(await client.command('QUIT')).toMatch(/^\+OK/);
    } finally {
      client.destroy();
    }
    const readSeconds = (Date.now() - readStarted) / 1000;
    process.stdout.write(`pop3-maildrop: POP3 STAT, LIST, UIDL and RETR of all ${COUNT} in ${readSeconds.toFixed(1)} s\n`);
    // Measured: 535 s to store and 294 s to read on the local data tier with the machine at load 15
    // (idle: about 28 messages/s stored); the bound leaves room for a loaded machine.
  }, 1_500_000);
});
