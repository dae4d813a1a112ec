import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { SmtpClient, sendMail } from '../support/smtp-client.js';
import { inboxSources, newUser, type TestStack, type TestUser, useTestStack } from '../support/stack.js';

describe('SMTP rejects bad input clearly and keeps serving', () => {
  const stack = useTestStack('smtp');
  let t: TestStack;

  // Each test delivers to its own account, so its mailbox holds only what it sent.
  let user: TestUser;
  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'smtp-errors');
  });

  const subjects = async () => (await inboxSources(t.config, user)).map((m) => /Subject: (.*)\r\n/.exec(m.source.toString())?.[1]);

  it('answers 550 5.1.1 for an unknown recipient and still takes the known one', async () => {
    const known = user.address;
    const result = await sendMail(
      t.config.ports.smtp,
      { from: 'sender@example.org', to: [`nobody@${t.config.demo.domain}`, known] },
      plainMessage(known, 'mixed recipients'),
    );
    expect(result.rcpts[0]).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(result.rcpts[1]?.code).toBe(250);
    expect(result.data?.code).toBe(250);
    expect(await subjects()).toEqual(['mixed recipients']);
  });

  it('answers 5xx to bad commands and the same connection then delivers mail', async () => {
    const { client, greeting } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      expect(greeting.code).toBe(220);
      const ehlo = await client.command('EHLO test.example');
      expect(ehlo.code).toBe(250);
      expect(ehlo.text).toContain(`SIZE ${t.config.smtp.maxMessageBytes}`);
      expect((await client.command('FROBNICATE now')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('RCPT TO:<x@y>')).code).toBeGreaterThanOrEqual(500); // before MAIL
      expect((await client.command('MAIL FROM:<not an address')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('DATA')).code).toBeGreaterThanOrEqual(500); // no recipients
      expect(await client.command(`MAIL FROM:<sender@example.org> SIZE=${t.config.smtp.maxMessageBytes + 1}`)).toMatchObject({
        code: 552,
        enhanced: '5.3.4',
      });

      expect((await client.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
      expect((await client.command(`RCPT TO:<${user.address}>`)).code).toBe(250);
      const reply = await client.data(plainMessage(user.address, 'after errors'));
      expect(reply.code).toBe(250);
    } finally {
      await client.close();
    }
    expect(await subjects()).toEqual(['after errors']);
  });
});
