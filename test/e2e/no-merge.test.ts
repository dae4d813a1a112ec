import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, splitTrace, type TestStack, useTestStack } from '../support/stack.js';

/**
 * A retry is recognised only by the same bytes: messages that share
 * Message-ID, Date, From, Subject and body but differ in any other header are
 * distinct messages and are all stored; a true retry is stored once.
 */
describe('distinct messages are never merged', () => {
  const stack = useTestStack('nomerge');
  let t: TestStack;

  beforeAll(() => {
    t = stack();
  });

  function message(to: string, id: string, extra: string[], contentType = 'text/plain; charset=utf-8'): Buffer {
    return Buffer.from(
      [
        'From: Sender <sender@example.org>',
        `To: <${to}>`,
        ...extra,
        'Subject: the same post, twice',
        `Message-ID: <${id}@example.org>`,
        'Date: Sun, 29 Nov 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        `Content-Type: ${contentType}`,
        '',
        'One body for every copy.',
        '',
      ].join('\r\n'),
    );
  }

  it('stores messages that differ only in Cc or a Content-Type parameter, and a real retry once', async () => {
    // Its own account: the mailbox count below is exactly what this test delivered.
    const user = await newUser(t.config, 'nomerge');
    const to = user.address;
    const id = crypto.randomUUID();
    const variants = [
      message(to, id, []),
      message(to, id, ['Cc: <list@example.org>']),
      message(to, id, [], 'text/plain; charset=utf-8; format=flowed'),
      message(to, id, ['cc: <list@example.org>']),
    ];
    const envelope = { from: 'sender@example.org', to: [to] };
    for (const variant of variants) {
      const reply = await sendMail(t.config.ports.smtp, envelope, variant);
      expect(reply.data?.code, reply.data?.text).toBe(250);
    }
    // The sender did not see the 250 of the first copy and retries it on a new connection: same bytes.
    const retry = await sendMail(t.config.ports.smtp, envelope, variants[0] as Buffer);
    expect(retry.data?.code, retry.data?.text).toBe(250);

    const stored = (await inboxSources(t.config, user)).map((m) => m.source);
    const copies = variants.map((variant) => stored.filter((source) => splitTrace(source, variant).rest.equals(variant)).length);
    expect(copies).toEqual([1, 1, 1, 1]);
    expect(stored).toHaveLength(variants.length);
  });
});
