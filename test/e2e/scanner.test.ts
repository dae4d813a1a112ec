import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { sendMail } from '../support/smtp-client.js';
import { newUser, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

/** A real scanner process: junk when the body says so, hangs when asked to. */
const SCANNER = `#!/bin/sh
body=$(cat)
case "$body" in
  *SLOWSCAN*) sleep 30 ;;
  *CRASHSCAN*) exit 3 ;;
  *BUYNOW*) exit 1 ;;
esac
exit 0
`;

function writeScanner(dataDir: string): string {
  const script = path.join(dataDir, 'scanner.sh');
  fs.writeFileSync(script, SCANNER, { mode: 0o755 });
  return script;
}

/** The X-Kura-Scan header of the message with this subject in `user`'s `mailbox` (undefined: not there). */
async function headerOf(t: TestStack, user: TestUser, mailbox: string, subject: string): Promise<string | undefined> {
  return withImap(
    t.config,
    async (client) => {
      const box = await client.mailboxOpen(mailbox);
      if (box.exists === 0) return undefined;
      for await (const msg of client.fetch('1:*', { envelope: true, headers: ['x-kura-scan'] })) {
        if (msg.envelope?.subject === subject) return msg.headers?.toString().trim() ?? '';
      }
      return undefined;
    },
    user,
  );
}

describe('content scanner with a time budget', () => {
  const stack = useTestStack('scan', (dataDir) => ({
    smtp: { scanner: { command: ['sh', writeScanner(dataDir)], timeoutMs: 1_500, maxConcurrent: 2 } },
  }));
  let t: TestStack;
  // Each test delivers to its own account, so a subject from another test never answers its lookup.
  let user: TestUser;

  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'scan');
  });

  const send = async (subject: string, body: string) => {
    const to = user.address;
    const result = await sendMail(t.config.ports.smtp, { from: 'scan@example.org', to: [to] }, plainMessage(to, subject, `${body}\r\n`));
    return result.data?.code;
  };

  it('delivers clean mail to INBOX and junk to the Junk mailbox, saying so in a header', async () => {
    expect(await send('clean one', 'hello')).toBe(250);
    expect(await send('junk one', 'BUYNOW cheap pills')).toBe(250);
    expect(await headerOf(t, user, 'INBOX', 'clean one')).toBe('X-Kura-Scan: clean');
    expect(await headerOf(t, user, 'Junk', 'junk one')).toBe('X-Kura-Scan: junk');
    expect(await headerOf(t, user, 'INBOX', 'junk one')).toBeUndefined();
  });

  it('a hanging or crashing scanner costs its budget, not the message: delivered with "skipped"', async () => {
    expect(await send('slow scan', 'SLOWSCAN please')).toBe(250);
    expect(await send('crash scan', 'CRASHSCAN please')).toBe(250);
    expect(await headerOf(t, user, 'INBOX', 'slow scan')).toMatch(/^X-Kura-Scan: skipped \(no verdict within 1500 ms\)/);
    expect(await headerOf(t, user, 'INBOX', 'crash scan')).toMatch(/^X-Kura-Scan: skipped \(scanner exited with 3\)/);
  });

  it('sheds load instead of queueing when the scanner is saturated', async () => {
    const subjects = ['shed 1', 'shed 2', 'shed 3', 'shed 4'];
    const codes = await Promise.all(subjects.map((s) => send(s, 'SLOWSCAN again')));
    expect(codes).toEqual([250, 250, 250, 250]);
    const headers = await Promise.all(subjects.map((s) => headerOf(t, user, 'INBOX', s)));
    expect(headers.filter((h) => h?.includes('scanner busy')).length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('content scanner with the temp-fail policy', () => {
  const stack = useTestStack('scan-tempfail', (dataDir) => ({
    smtp: { scanner: { command: ['sh', writeScanner(dataDir)], timeoutMs: 1_000, onScannerUnavailable: 'tempfail' } },
  }));
  let t: TestStack;

  beforeAll(() => {
    t = stack();
  });

  it('answers 451 4.7.1 when no verdict arrives in time, and still delivers scanned mail', async () => {
    const user = await newUser(t.config, 'scan-tempfail');
    const to = user.address;
    const slow = await sendMail(t.config.ports.smtp, { from: 'scan@example.org', to: [to] }, plainMessage(to, 'slow', 'SLOWSCAN\r\n'));
    expect(slow.data).toMatchObject({ code: 451, enhanced: '4.7.1' });
    const clean = await sendMail(t.config.ports.smtp, { from: 'scan@example.org', to: [to] }, plainMessage(to, 'fine', 'hello\r\n'));
    expect(clean.data?.code).toBe(250);
    expect(await headerOf(t, user, 'INBOX', 'fine')).toBe('X-Kura-Scan: clean');
    expect(await headerOf(t, user, 'INBOX', 'slow')).toBeUndefined();
  });
});
