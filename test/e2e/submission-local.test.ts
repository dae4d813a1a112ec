import crypto from 'node:crypto';
import fs from 'node:fs';
import { submissionCertificates } from '@kura/cli';
import type { KuraConfig } from '@kura/config';
import { openStore, type Store, setAutoReply } from '@kura/store';
import { ObjectId } from 'mongodb';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink } from '../support/sink.js';
import { inboxSources, newUser, type TestUser, useTestStack, wildduckApi, withImap } from '../support/stack.js';

/**
 * Mail a user submits to a local colleague takes the colleague's WildDuck
 * settings as mail from outside does: filters, forwarding targets (queued in
 * the durable outbound queue) and the vacation reply. A retried submission
 * (same bytes) stores, forwards and replies once.
 */
describe('submission to local colleagues', () => {
  // "The Internet": forwards and auto-replies leave through this relay sink.
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  describe('with the stack', () => {
    const stack = useTestStack('submission-local', () => ({
      outbound: { relay: `127.0.0.1:${sink.port}`, relayTls: 'none', perUserPerHour: 10 },
      trust: { rspamd: { enabled: false } },
    }));
    let config: KuraConfig;
    let ca: Buffer;
    let store: Store;

    beforeAll(async () => {
      config = stack().config;
      const tls = submissionCertificates(config);
      if (!tls.ca) throw new Error('the local stack has no CA file for its submission certificate');
      ca = fs.readFileSync(tls.ca);
      store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    });
    afterAll(async () => {
      await store?.close();
    });

    const api = (method: string, url: string, body?: unknown) => wildduckApi(config)(method, url, body);
    /** Submits `raw` as `sender` over the STARTTLS port; returns the server's answer. */
    const submit = async (sender: TestUser, to: string[], raw: Buffer) => {
      const transport = nodemailer.createTransport({
        host: config.host,
        port: config.ports.submission,
        secure: false,
        requireTLS: true,
        tls: { ca },
        auth: { user: sender.username, pass: sender.password },
      });
      try {
        return (await transport.sendMail({ envelope: { from: sender.address, to }, raw })).response;
      } finally {
        transport.close();
      }
    };
    const message = (from: string, to: string, subject: string) =>
      Buffer.from(
        `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
          `Message-ID: <${crypto.randomBytes(8).toString('hex')}@test.example>\r\n\r\nhello from ${subject}\r\n`,
      );
    const subjects = (user: TestUser, mailbox: string) =>
      withImap(
        config,
        async (client) => {
          const box = await client.mailboxOpen(mailbox);
          const out: string[] = [];
          if (box.exists === 0) return out;
          for await (const msg of client.fetch('1:*', { envelope: true })) out.push(msg.envelope?.subject ?? '');
          return out;
        },
        user,
      );

    it("a colleague's filter moves the submitted message to a folder", async () => {
      const sender = await newUser(config, 'sl-filter-from');
      const colleague = await newUser(config, 'sl-filter-to');
      const projects = await api('POST', `/users/${colleague.id}/mailboxes`, { path: 'Projects' });
      // The local data tier may not show a folder it created a moment ago (docs/compatibility.md): set-up waits, up to 5 s.
      const deadline = Date.now() + 5_000;
      for (;;) {
        try {
          await api('POST', `/users/${colleague.id}/filters`, { query: { subject: 'project' }, action: { mailbox: projects.id } });
          break;
        } catch (err) {
          if (!/NoSuchMailbox/.test(String(err)) || Date.now() > deadline) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(await submit(sender, [colleague.address], message(sender.address, colleague.address, 'project plan'))).toMatch(
        /^250 .*\(1 stored, 0 queued\)/,
      );
      expect(await submit(sender, [colleague.address], message(sender.address, colleague.address, 'lunch'))).toMatch(/^250 /);
      expect(await subjects(colleague, 'Projects')).toEqual(['project plan']);
      expect(await subjects(colleague, 'INBOX')).toEqual(['lunch']);
    }, 30_000);

    it('a colleague with a forwarding target gets the copy and a forward queued to the external address, once per message', async () => {
      const sender = await newUser(config, 'sl-fwd-from');
      const target = `fwd-${crypto.randomBytes(3).toString('hex')}@remote.example`;
      const colleague = await newUser(config, 'sl-fwd-to', { targets: [target] });
      const raw = message(sender.address, colleague.address, 'for the forward');
      expect(await submit(sender, [colleague.address], raw)).toMatch(/^250 /);
      // The client did not see the 250 and sends the same bytes again: no second copy, no second forward.
      expect(await submit(sender, [colleague.address], raw)).toMatch(/^250 .*\(1 stored, 0 queued\)/);
      const forwards = await store.db
        .collection('kura_outbound')
        .find({ user: new ObjectId(colleague.id), kind: 'forward' })
        .toArray();
      expect(forwards).toHaveLength(1);
      expect(forwards[0]?.envelope.to).toEqual([target]);
      // SRS-rewritten envelope sender, as for a forward of mail from outside.
      expect(forwards[0]?.envelope.from).toMatch(/^SRS0=/);
      expect((await inboxSources(config, colleague)).length).toBe(1);
    }, 30_000);

    it('a colleague on vacation answers the sender once', async () => {
      const sender = await newUser(config, 'sl-away-from');
      const colleague = await newUser(config, 'sl-away-to');
      await setAutoReply(store, new ObjectId(colleague.id), { status: true, subject: 'Away', text: 'Back on Monday.' });
      const raw = message(sender.address, colleague.address, 'are you there');
      expect(await submit(sender, [colleague.address], raw)).toMatch(/^250 /);
      // A retry of the same message and a second message within the interval: no further reply.
      expect(await submit(sender, [colleague.address], raw)).toMatch(/^250 /);
      expect(await submit(sender, [colleague.address], message(sender.address, colleague.address, 'still there?'))).toMatch(/^250 /);
      const replies = await store.db
        .collection('kura_outbound')
        .find({ user: new ObjectId(colleague.id), kind: 'autoreply' })
        .toArray();
      expect(replies).toHaveLength(1);
      expect(replies[0]?.envelope.from).toBe('');
      expect(replies[0]?.envelope.to).toEqual([sender.address]);
      // A Bcc copy (colleague not in To/Cc) from another sender gets no reply either.
      const other = await newUser(config, 'sl-away-bcc');
      expect(await submit(other, [colleague.address], message(other.address, sender.address, 'bcc note'))).toMatch(/^250 /);
      expect(await store.db.collection('kura_outbound').countDocuments({ user: new ObjectId(colleague.id), kind: 'autoreply' })).toBe(1);
    }, 30_000);
  });
});
