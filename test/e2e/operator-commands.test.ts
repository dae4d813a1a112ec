import fs from 'node:fs';
import path from 'node:path';
import { submissionCertificates } from '@kura/cli';
import { startSubmission } from '@kura/submission';
import type { ImapFlow } from 'imapflow';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMail } from '../support/smtp-client.js';
import { type CliRun, lastEvent, runKura, spawnKura, writeCliConfig } from '../support/snapshot.js';
import { freePorts, newUser, type TestUser, tempDataDir, useTestStack, withImap as withImapAs } from '../support/stack.js';

// Auto-replies go only to mail a scanner found clean: a real scanner process that passes everything.
const stack = useTestStack('operator', (dataDir) => {
  const scanner = path.join(dataDir, 'scanner.sh');
  fs.writeFileSync(scanner, 'cat > /dev/null\nexit 0\n');
  return { smtp: { scanner: { command: ['sh', scanner] } } };
});
let work: string;
let cliDir: string;

beforeAll(() => {
  work = tempDataDir('operator-cli');
  cliDir = path.join(work, 'cli');
  writeCliConfig(cliDir, stack().config);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The CLI as an operator runs it: a separate process, JSON because stdout is a pipe. */
const kura = (...args: string[]) => runKura(args, cliDir);
const api = async (method: string, route: string) => {
  const { config } = stack();
  const res = await fetch(`http://${config.host}:${config.ports.api}${route}`, { method });
  return (await res.json()) as Record<string, unknown>;
};
const ok = (run: CliRun) => {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
};
const fails = (run: CliRun, fix: RegExp) => {
  expect(run.code, run.stdout).toBe(1);
  expect(run.stderr).toMatch(fix);
};
const mail = (from: string, to: string, subject: string) =>
  Buffer.from(
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@example.org>\r\n\r\nhello\r\n`,
  );

function withImap<T>(user: TestUser, work: (c: ImapFlow) => Promise<T>): Promise<T> {
  return withImapAs(stack().config, work, user);
}

async function messageCount(c: ImapFlow, mailbox: string): Promise<number> {
  const status = await c.status(mailbox, { messages: true });
  return status ? (status.messages ?? 0) : 0;
}

describe('operator commands against a running stack', () => {
  it('alias: adds an address and a domain wildcard that receive mail, lists and removes them', async () => {
    const user = await newUser(stack().config, 'alias');
    const domain = `${user.username}.example.edu`;
    const alias = `office-${user.username}@example.edu`;
    ok(await kura('alias', 'add', alias, user.username));
    ok(await kura('alias', 'add', `*@${domain}`, user.username));
    const listed = ok(await kura('alias', 'list', user.username)).events.map((e) => e.address);
    expect(listed.sort()).toEqual([user.address, alias, `*@${domain}`].sort());

    const smtp = stack().config.ports.smtp;
    for (const to of [alias, `anyone@${domain}`]) {
      const sent = await sendMail(smtp, { from: 'sender@example.org', to: [to] }, mail('sender@example.org', to, `to ${to}`));
      expect(sent.rcpts[0]?.code, to).toBe(250);
      expect(sent.data?.code, to).toBe(250);
    }
    expect(await withImap(user, async (c) => messageCount(c, 'INBOX'))).toBe(2);

    fails(await kura('alias', 'add', alias, 'nobody-such-user'), /no user "nobody-such-user".*kura user list/);
    fails(await kura('alias', 'add', 'not-an-address', user.username), /is not an address/);
    fails(await kura('alias', 'rm', user.address), /main address/);
    ok(await kura('alias', 'rm', `*@${domain}`));
    ok(await kura('alias', 'rm', alias));
    fails(await kura('alias', 'rm', alias), /no user has the address/);
    const refused = await sendMail(smtp, { from: 'sender@example.org', to: [`anyone@${domain}`] }, mail('s@example.org', 'x', 'late'));
    expect(refused.rcpts[0]?.code).toBe(550);
  }, 120_000);

  it('forward: adds, lists and removes targets (WildDuck user targets) and refuses a loop', async () => {
    const user = await newUser(stack().config, 'forward');
    ok(await kura('forward', user.username, 'add', 'elsewhere@example.org'));
    ok(await kura('forward', user.username, 'add', 'smtp://mx.example.org:25'));
    expect(ok(await kura('forward', user.username, 'list')).events[0]?.targets).toEqual([
      'elsewhere@example.org',
      'smtp://mx.example.org:25',
    ]);
    expect((await api('GET', `/users/${user.id}`)).targets).toEqual(['elsewhere@example.org', 'smtp://mx.example.org:25']);
    fails(await kura('forward', user.username, 'add', user.address), /would loop/);
    fails(await kura('forward', user.username, 'add', 'nonsense'), /not a forwarding target/);
    ok(await kura('forward', user.username, 'rm', 'elsewhere@example.org'));
    fails(await kura('forward', user.username, 'rm', 'elsewhere@example.org'), /does not forward to/);
    expect((await api('GET', `/users/${user.id}`)).targets).toEqual(['smtp://mx.example.org:25']);
    fails(await kura('forward', user.username, 'copy', 'x@example.org'), /add\|list\|rm/);
  }, 60_000);

  it('autoreply: on with subject, text and window; the reply is queued and kura trace <address> shows the whole path', async () => {
    const user = await newUser(stack().config, 'vacation');
    fails(await kura('autoreply', user.username, 'on'), /--text/);
    fails(await kura('autoreply', user.username, 'on', '--text', 'x', '--start', 'soon'), /is not a date/);
    const on = ok(
      await kura(
        'autoreply',
        user.username,
        'on',
        '--subject',
        'Away',
        '--text',
        'Back on Monday',
        '--start',
        '2020-01-01',
        '--end',
        '2099-12-31',
      ),
    );
    expect(on.events[0]).toMatchObject({ status: true, subject: 'Away', text: 'Back on Monday', start: '2020-01-01T00:00:00.000Z' });
    expect((await api('GET', `/users/${user.id}/autoreply`)).status).toBe(true);

    const sender = `colleague-${user.username}@example.org`;
    const sent = await sendMail(
      stack().config.ports.smtp,
      { from: sender, to: [user.address] },
      mail(sender, user.address, `question ${user.username}`),
    );
    expect(sent.data?.code).toBe(250);
    // The auto-reply is queued after delivery: wait for it to show up in the trace.
    let traced: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      traced = ok(await kura('trace', user.address, '--since', '1h')).events[0] ?? {};
      if ((traced.outbound as unknown[]).length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(traced.user).toMatchObject({ username: user.username });
    expect(traced.received).toEqual([expect.objectContaining({ mailbox: 'INBOX', source: 'MX', envelopeFrom: sender, junk: false })]);
    expect(traced.outbound).toEqual([expect.objectContaining({ kind: 'autoreply', to: [sender] })]);
    // The sender's view: with --user the mail it sent is found in that user's mailboxes.
    const fromSender = ok(await kura('trace', sender, '--user', user.username, '--since', '1h')).events[0];
    expect(fromSender?.sent).toEqual([expect.objectContaining({ user: user.username, mailbox: 'INBOX' })]);
    expect(fromSender?.outbound).toEqual([expect.objectContaining({ kind: 'autoreply' })]);
    fails(await kura('trace', sender, '--since', 'yesterday-ish'), /neither a duration/);

    expect(ok(await kura('autoreply', user.username, 'off')).events[0]).toMatchObject({ status: false, subject: 'Away' });
    expect((await api('GET', `/users/${user.id}/autoreply`)).status).toBe(false);
  }, 120_000);

  it('mailbox: create, rename, list, rm, and expunge --older-than with a dry run and a count', async () => {
    const user = await newUser(stack().config, 'folders');
    ok(await kura('mailbox', user.username, 'create', 'Projects/2019'));
    fails(await kura('mailbox', user.username, 'create', 'Projects/2019'), /cannot create/);
    ok(await kura('mailbox', user.username, 'rename', 'Projects/2019', 'Archive/2019'));
    const old = new Date(Date.now() - 400 * 86_400_000);
    await withImap(user, async (c) => {
      for (let i = 0; i < 12; i++) await c.append('Archive/2019', mail('a@example.org', user.address, `old ${i}`), ['\\Seen'], old);
      for (let i = 0; i < 3; i++) await c.append('Archive/2019', mail('a@example.org', user.address, `new ${i}`), [], new Date());
    });
    const listed = ok(await kura('mailbox', user.username, 'list')).events;
    expect(listed.find((b) => b.path === 'Archive/2019')).toMatchObject({ messages: 15 });
    expect(listed.map((b) => b.path)).not.toContain('Projects/2019');

    fails(await kura('mailbox', user.username, 'expunge', 'Archive/2019'), /--older-than 90d/);
    fails(await kura('mailbox', user.username, 'expunge', 'Archive/2019', '--older-than', '90 days'), /not a duration/);
    const plan = ok(await kura('mailbox', user.username, 'expunge', 'Archive/2019', '--older-than', '1y', '--dry-run'));
    expect(lastEvent(plan, 'expunge-plan')).toMatchObject({ matched: 12, dryRun: true });
    expect(await withImap(user, async (c) => messageCount(c, 'Archive/2019'))).toBe(15);
    const run = ok(await kura('mailbox', user.username, 'expunge', 'Archive/2019', '--older-than', '1y'));
    expect(lastEvent(run, 'expunged')).toMatchObject({ matched: 12, deleted: 12, failed: [] });
    expect(run.events.some((e) => e.event === 'progress')).toBe(true);
    const left = await withImap(user, async (c) => {
      await c.mailboxOpen('Archive/2019');
      const subjects: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) subjects.push(String(m.envelope?.subject));
      return subjects.sort();
    });
    expect(left).toEqual(['new 0', 'new 1', 'new 2']);
    // A rerun finds nothing more to do.
    expect(lastEvent(ok(await kura('mailbox', user.username, 'expunge', 'Archive/2019', '--older-than', '1y')), 'expunged')).toMatchObject({
      matched: 0,
    });

    fails(await kura('mailbox', user.username, 'rm', 'Archive/2019'), /holds 3 messages.*--yes/);
    fails(await kura('mailbox', user.username, 'rm', 'INBOX'), /cannot be deleted/);
    ok(await kura('mailbox', user.username, 'rm', 'Archive/2019', '--yes'));
    fails(await kura('mailbox', user.username, 'rename', 'Archive/2019', 'X'), /has no mailbox "Archive\/2019".*kura mailbox/);
    fails(await kura('mailbox', user.username, 'shred', 'INBOX'), /not a mailbox action/);
  }, 120_000);

  it("status: the guard's view with an exit code that says up or down; --version and --help", async () => {
    const { config } = stack();
    const [guardPort, deadPort, proxiedPort, proxiedTlsPort] = await freePorts(4);
    // A submission instance as HAProxy's backends run it (PROXY header expected) plays both HA submission instances.
    const proxied = await startSubmission(
      config,
      { port: proxiedPort as number, tlsPort: proxiedTlsPort as number, ...submissionCertificates(config), proxyProtocol: true },
      pino({ level: 'silent' }),
    );
    const submission = { submission: proxiedPort, submissions: proxiedTlsPort, health: deadPort };
    const guardConfig = (name: string, smtp: number) => {
      const file = path.join(work, `${name}.json`);
      const base = JSON.parse(fs.readFileSync(path.join(cliDir, 'kura.config.json'), 'utf8'));
      // The single stack's WildDuck and Haraka play both HA instances; the health ports are not served.
      const wildduck = { imap: config.ports.imap, pop3: config.ports.pop3, api: config.ports.api, health: deadPort };
      fs.writeFileSync(
        file,
        JSON.stringify({
          ...base,
          ports: { ...base.ports, smtp },
          guard: { port: guardPort, probeIntervalMs: 300, canaryIntervalMs: 1000 },
          ha: {
            wildduck: [wildduck, wildduck],
            haraka: [0, 1].map(() => ({ smtp: config.ports.smtp, health: deadPort })),
            submission: [submission, submission],
          },
        }),
      );
      return file;
    };
    const runGuard = async (file: string, work: () => Promise<void>) => {
      const guard = spawnKura(['guard', '-c', file], cliDir);
      try {
        await work();
      } finally {
        guard.child.kill('SIGTERM');
        await guard.done;
      }
    };
    const statusUntil = async (file: string, want: number) => {
      let run: CliRun | undefined;
      for (let i = 0; i < 100; i++) {
        run = await runKura(['status', '-c', file], cliDir);
        if (run.code === want) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      return run as CliRun;
    };

    try {
      await runGuard(guardConfig('guard-up', config.ports.smtp), async () => {
        const up = await statusUntil(path.join(work, 'guard-up.json'), 0);
        expect(up.code, up.stdout + up.stderr).toBe(0);
        const report = up.events[0] as {
          overall: string;
          components: Array<{ id: string; status: string; detail: string }>;
          snapshot: unknown;
        };
        expect(report.overall).toBe('up');
        expect(report.components.find((c) => c.id === 'delivery')?.detail).toMatch(/canary delivered in \d+ ms/);
        expect(report).toHaveProperty('snapshot', null);
        // Submission: the single stack's port (STARTTLS), and the instance that expects the PROXY header.
        for (const id of ['submission', 'submission-1']) {
          expect(report.components.find((c) => c.id === id)?.detail, id).toMatch(/^AUTH .*PLAIN.* offered after STARTTLS$/);
        }
      });
      // Incoming mail down (the guard probes a port nobody serves): exit 3, and the component is named.
      await runGuard(guardConfig('guard-down', deadPort as number), async () => {
        const down = await statusUntil(path.join(work, 'guard-down.json'), 3);
        expect(down.code, down.stdout).toBe(3);
        const report = down.events[0] as { overall: string; components: Array<{ id: string; status: string }> };
        expect(report.overall).toBe('down');
        expect(report.components.find((c) => c.id === 'smtp')?.status).toBe('down');
      });
    } finally {
      await proxied.stop();
    }
    fails(await kura('status', '--guard', `http://127.0.0.1:${deadPort}/`), /guard does not answer.*\n.*fix: start it/);

    const version = ok(await kura('--version'));
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const cmd of [
      ['alias'],
      ['forward', '--help'],
      ['autoreply', '--help'],
      ['mailbox', '--help'],
      ['status', '--help'],
      ['trace', '--help'],
    ]) {
      const help = await kura(...cmd, ...(cmd.includes('--help') ? [] : ['--help']));
      expect(help.code, cmd.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/Usage: kura/);
    }
  }, 180_000);
});
