import { beforeAll, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { SmtpClient, sendMail } from '../support/smtp-client.js';
import { type TestStack, useTestStack } from '../support/stack.js';

/** WildDuck's own API is how accounts are managed; the tests use it as an operator would. */
async function api(t: TestStack, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${t.config.ports.api}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { success?: boolean; id?: string; error?: string };
  if (!json.success) throw new Error(`${method} ${path}: ${json.error}`);
  return json;
}

describe('recipients are checked against the store at RCPT', () => {
  const stack = useTestStack('rcpt');
  let t: TestStack;

  beforeAll(async () => {
    t = stack();
    const user = async (username: string, extra: Record<string, unknown> = {}) =>
      (await api(t, 'POST', '/users', { username, password: `${username}-password`, address: `${username}@kura.test`, ...extra }))
        .id as string;
    const alice = await user('alice');
    await api(t, 'POST', `/users/${alice}/addresses`, { address: 'team@kura.test' });
    await api(t, 'POST', `/users/${alice}/addresses`, { address: '*@catchall.test', allowWildcard: true });
    await api(t, 'POST', '/domainaliases', { alias: 'kura-alias.test', domain: 'kura.test' });
    const off = await user('off');
    await api(t, 'PUT', `/users/${off}`, { disabled: true });
    await user('tiny', { quota: 20_000 });
    const full = await user('full', { quota: 1_000 });
    // Fill "full" beyond its quota with one real delivery.
    const filled = await sendMail(
      t.config.ports.smtp,
      { from: 'x@example.org', to: ['full@kura.test'] },
      plainMessage('full@kura.test', 'filler', `${'x'.repeat(2_000)}\r\n`),
    );
    expect(filled.data?.code).toBe(250);
    expect(full).toBeTruthy();
  }, 120_000);

  const rcpt = async (address: string, mailParams = '') => {
    const { client } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      await client.command('EHLO test.example');
      await client.command(`MAIL FROM:<sender@example.org>${mailParams}`);
      return await client.command(`RCPT TO:<${address}>`);
    } finally {
      await client.close();
    }
  };

  it('accepts users, their extra addresses, domain aliases and wildcard addresses', async () => {
    for (const address of [
      'alice@kura.test',
      'team@kura.test',
      'Alice@KURA.test',
      'a.lice@kura.test',
      'alice@kura-alias.test',
      'anything@catchall.test',
    ]) {
      expect((await rcpt(address)).code, address).toBe(250);
    }
  });

  it('answers 550 5.1.1 for unknown addresses, 550 5.2.1 for disabled users', async () => {
    expect(await rcpt('nobody@kura.test')).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(await rcpt('alice@elsewhere.test')).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(await rcpt('off@kura.test')).toMatchObject({ code: 550, enhanced: '5.2.1' });
  });

  it('answers 452 4.2.2 for a full mailbox, 552 5.2.2 when the message can never fit', async () => {
    expect(await rcpt('full@kura.test')).toMatchObject({ code: 452, enhanced: '4.2.2' });
    expect(await rcpt('tiny@kura.test', ' SIZE=50000')).toMatchObject({ code: 552, enhanced: '5.2.2' });
    expect(await rcpt('tiny@kura.test', ' SIZE=15000')).toMatchObject({ code: 250 });
  });
});
