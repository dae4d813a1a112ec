import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendMail } from '../support/smtp-client.js';
import { newUser, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

/** rspamd's test pattern: a real rspamd gives it its reject score (15). */
const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
const BUDGET_MS = 1_500;

function message(to: string, subject: string, body: string, extraHeaders: string[] = []): Buffer {
  return Buffer.from(
    [
      ...extraHeaders,
      'From: Sender <sender@example.org>',
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${crypto.randomUUID()}@example.org>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** Every X-Kura-Scan field of the message with this subject in `mailbox` (undefined: not there). */
async function scanHeaders(t: TestStack, user: TestUser, mailbox: string, subject: string): Promise<string[] | undefined> {
  return withImap(
    t.config,
    async (client) => {
      const box = await client.mailboxOpen(mailbox);
      if (box.exists === 0) return undefined;
      for await (const msg of client.fetch('1:*', { envelope: true, source: true })) {
        if (msg.envelope?.subject !== subject) continue;
        const head = (msg.source as Buffer).toString('latin1').split('\r\n\r\n')[0] ?? '';
        return head.match(/^X-Kura-Scan:.*$/gim) ?? [];
      }
      return undefined;
    },
    user,
  );
}

function send(t: TestStack, user: TestUser, subject: string, body: string, extraHeaders: string[] = []) {
  return sendMail(
    t.config.ports.smtp,
    { from: 'sender@example.org', to: [user.address] },
    message(user.address, subject, body, extraHeaders),
  );
}

/** The sum of a metric's samples whose line starts with `series` (a name and, optionally, labels). */
async function metric(t: TestStack, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.config.ports.smtpMetrics}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(series))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** rspamd's processes: the main one the supervisor started and its workers. */
function rspamdPids(t: TestStack): number[] {
  const main = t.stack.supervisor.pids.rspamd;
  if (!main) throw new Error('rspamd is not running');
  const children = execFileSync('pgrep', ['-P', String(main)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);
  return [main, ...children];
}

describe('rspamd as the default scanner, refusing above rejectScore', () => {
  const stack = useTestStack('rspamd', { smtp: { scanner: { timeoutMs: BUDGET_MS, maxConcurrent: 4 } } });
  let t: TestStack;
  // Each test delivers to its own account: a subject another test sent never answers its lookup.
  let user: TestUser;
  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'rspamd');
  });

  it('scans clean mail, records score and action in X-Kura-Scan, results and metrics', async () => {
    const series = [
      'kura_inbound_scans_total{verdict="clean"}',
      'kura_inbound_spam_score_count',
      'kura_inbound_auth_results_total{method="spf"',
    ];
    const before = await Promise.all(series.map((name) => metric(t, name)));
    expect((await send(t, user, 'rspamd clean', 'Hello, see you tomorrow.')).data?.code).toBe(250);
    expect(await scanHeaders(t, user, 'INBOX', 'rspamd clean')).toEqual([
      expect.stringMatching(/^X-Kura-Scan: clean \(rspamd score=-?\d+\.\d\d action="no action"\)$/),
    ]);
    // This message's own effect on the counters: one clean scan, one score observed, one SPF result.
    const after = await Promise.all(series.map((name) => metric(t, name)));
    expect(after.map((value, i) => value - (before[i] as number))).toEqual([1, 1, 1]);
  });

  it("refuses rspamd's GTUBE message with 550 5.7.1 at the default rejectScore", async () => {
    const reply = await send(t, user, 'rspamd gtube', GTUBE);
    expect(reply.data).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(await scanHeaders(t, user, 'INBOX', 'rspamd gtube')).toBeUndefined();
    expect(await scanHeaders(t, user, 'Junk', 'rspamd gtube')).toBeUndefined();
  });

  it('a stalled rspamd is cut by the budget: delivered at once, marked skipped', async () => {
    const pids = rspamdPids(t);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const reply = await send(t, user, 'rspamd stalled', 'Hello while rspamd is stuck.');
      const took = Date.now() - started;
      expect(reply.data?.code).toBe(250);
      expect(took).toBeLessThan(BUDGET_MS + 10_000);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    expect(await scanHeaders(t, user, 'INBOX', 'rspamd stalled')).toEqual([`X-Kura-Scan: skipped (no verdict within ${BUDGET_MS} ms)`]);
  });

  it('with rspamd stopped, mail is still delivered, marked unscanned, never refused', async () => {
    await t.stack.supervisor.stopService('rspamd');
    const reply = await send(t, user, 'rspamd down', GTUBE);
    expect(reply.data?.code).toBe(250);
    expect(await scanHeaders(t, user, 'INBOX', 'rspamd down')).toEqual([
      expect.stringMatching(/^X-Kura-Scan: skipped \(rspamd unreachable: ECONNREFUSED\)$/),
    ]);
  });
});

describe('rspamd with refusing switched off', () => {
  const stack = useTestStack('rspamd-junk', { trust: { rspamd: { rejectScore: null } } });
  let t: TestStack;
  // Each test delivers to its own account: a subject another test sent never answers its lookup.
  let user: TestUser;
  beforeAll(() => {
    t = stack();
  });
  beforeEach(async () => {
    user = await newUser(t.config, 'rspamd');
  });

  it('stores GTUBE in Junk, and a forged X-Kura-Scan never reaches the mailbox', async () => {
    expect((await send(t, user, 'gtube to junk', GTUBE, ['X-Kura-Scan: clean', 'X-KURA-SCAN: clean (trust me)'])).data?.code).toBe(250);
    expect(await scanHeaders(t, user, 'INBOX', 'gtube to junk')).toBeUndefined();
    expect(await scanHeaders(t, user, 'Junk', 'gtube to junk')).toEqual(['X-Kura-Scan: junk (rspamd score=15.00 action="reject")']);
  });
});
