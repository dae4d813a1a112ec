import { beforeAll, describe, expect, it } from 'vitest';
import { expectProcessUnchanged, expectWildDuckServing, freshUser } from '../support/conformance.js';
import { RawImap } from '../support/imap-raw.js';
import { Pop3Client } from '../support/pop3-client.js';
import { SmtpClient } from '../support/smtp-client.js';
import { type TestStack, useTestStack } from '../support/stack.js';

/**
 * A bounded random fuzz run against the real IMAP, POP3 and SMTP servers: valid commands mutated
 * with NIL, odd atoms, literals, nesting, numbers out of range and raw bytes. Seeded, so a failure
 * names the seed and case that reproduce it (KURA_FUZZ_SEED=… to rerun), and bounded both in the
 * number of cases and in time. Every case must get a protocol answer and no server process may die.
 */
const SEED = Number(process.env.KURA_FUZZ_SEED ?? 0x6b757261);
const CASES = { imap: 400, pop3: 150, smtp: 200 };
const BUDGET_MS = 15_000;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const ODD_TOKENS = [
  'NIL',
  '""',
  '()',
  '(((',
  ')))',
  '*',
  '0',
  '-1',
  '4294967296',
  '99999999999999999999',
  '1:*',
  '*:*',
  '1,,2',
  '1.5',
  '\\Seen',
  '\\Bogus',
  '"quo\\"ted"',
  'UTF-8',
  'X-UNKNOWN',
  '[',
  ']',
  '<0.1>',
  'BODY[]',
  'BODY[NIL]',
  '(NIL)',
  '%',
  '~',
] as const;

function randomBytes(rng: Rng, max: number): string {
  let out = '';
  for (let i = rng.int(max) + 1; i > 0; i--) {
    const c = rng.int(256);
    // CR and LF would end the command early; everything else goes in as it is.
    out += c === 10 || c === 13 ? ' ' : String.fromCharCode(c);
  }
  return out;
}

function literal(rng: Rng): string {
  const size = rng.pick([0, 1, 3, 16]);
  return `{${size}}\r\n${randomBytes(rng, size).slice(0, size).padEnd(size, 'x')}`;
}

/** One mutation of a token list: replace, drop, duplicate, wrap in parentheses, literal or raw bytes. */
function mutate(tokens: string[], rng: Rng): string[] {
  const out = [...tokens];
  const at = rng.int(out.length + 1);
  switch (rng.int(7)) {
    case 0:
      out[Math.min(at, out.length - 1)] = rng.pick(ODD_TOKENS);
      break;
    case 1:
      out.splice(at, 1);
      break;
    case 2:
      out.splice(at, 0, out[at] ?? 'NIL');
      break;
    case 3:
      out.splice(at, 0, `${'('.repeat(rng.int(40))}${rng.pick(ODD_TOKENS)}${')'.repeat(rng.int(40))}`);
      break;
    case 4:
      out.splice(at, 0, literal(rng));
      break;
    case 5:
      out.splice(at, 0, randomBytes(rng, 12));
      break;
    default:
      out.length = Math.max(1, at);
  }
  return out;
}

function fuzzed(corpus: readonly string[], rng: Rng): string {
  let tokens = rng.pick(corpus).split(' ');
  for (let n = rng.int(3) + 1; n > 0; n--) tokens = mutate(tokens, rng);
  return tokens.join(' ');
}

const IMAP_CORPUS = [
  'SEARCH SUBJECT hello',
  'SEARCH OR FROM a TO b',
  'SEARCH NOT SEEN',
  'SEARCH CHARSET UTF-8 ALL',
  'UID SEARCH UID 1:*',
  'SEARCH HEADER X-Seq 1',
  'SEARCH SINCE 1-Jan-2020 LARGER 10',
  'FETCH 1:* (FLAGS UID)',
  'FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]',
  'FETCH 1 (BODY[1]<0.10> RFC822.SIZE)',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)',
  'STORE 1 +FLAGS (\\Seen)',
  'UID STORE 1 -FLAGS.SILENT (\\Flagged)',
  'LIST "" "*"',
  'LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)',
  'LSUB "" "%"',
  'STATUS INBOX (MESSAGES UIDNEXT)',
  'EXAMINE INBOX',
  'SELECT INBOX',
  'COPY 1 INBOX',
  'MOVE 1 INBOX',
  'ID ("name" "fuzz")',
  'NAMESPACE',
  'GETQUOTAROOT INBOX',
  'GETQUOTA ""',
  'CHECK',
  'NOOP',
  'CAPABILITY',
  'UNSELECT',
  'CREATE fuzz',
  'DELETE fuzz',
  'RENAME fuzz fuzz2',
  'SUBSCRIBE INBOX',
  'UID EXPUNGE 9999',
  'ENABLE CONDSTORE',
  'APPEND INBOX (\\Seen) {5}\r\nhello',
] as const;
// Commands that change the session's framing (IDLE, COMPRESS, STARTTLS, AUTHENTICATE) or end it are left out.
const UNSAFE_IMAP = /^(IDLE|COMPRESS|STARTTLS|AUTHENTICATE|LOGOUT)\b/i;

const POP3_CORPUS = ['STAT', 'LIST', 'LIST 1', 'RETR 1', 'TOP 1 0', 'UIDL', 'UIDL 1', 'NOOP', 'RSET', 'CAPA'] as const;
const SMTP_CORPUS = [
  'EHLO fuzz.example',
  'HELO fuzz.example',
  'MAIL FROM:<fuzz@example.org>',
  'MAIL FROM:<fuzz@example.org> SIZE=100 BODY=8BITMIME',
  'RCPT TO:<postmaster@kura.test>',
  'RSET',
  'NOOP',
  'VRFY postmaster',
  'HELP',
  'EXPN list',
] as const;

describe('bounded random fuzz of IMAP, POP3 and SMTP', () => {
  const stack = useTestStack('fuzz');
  let t: TestStack;
  let wildduck: number | undefined;
  let haraka: number | undefined;
  beforeAll(() => {
    t = stack();
    wildduck = t.stack.supervisor.pids.wildduck;
    haraka = t.stack.supervisor.pids.haraka;
  });

  it(`IMAP: ${CASES.imap} mutated commands (seed ${SEED})`, async () => {
    const rng = prng(SEED);
    const account = await freshUser(t, 'fuzz-imap');
    const open = () => RawImap.session(t.config.ports.imap, account.user, account.pass);
    let imap = await open();
    expect((await imap.run('APPEND INBOX {20}\r\nSubject: f\r\n\r\nbody\r\n')).status).toBe('OK');
    const deadline = Date.now() + BUDGET_MS;
    let ran = 0;
    const unanswered: string[] = [];
    try {
      for (let i = 0; i < CASES.imap && Date.now() < deadline; i++) {
        const command = fuzzed(IMAP_CORPUS, rng);
        if (UNSAFE_IMAP.test(command)) continue;
        const answer = await imap.run(Buffer.from(command, 'latin1'), 1_500);
        ran++;
        // A tagged answer, an untagged BAD (a line without a usable tag cannot get a tagged one), or the
        // server's own "too many errors" BYE; silence or a dropped connection is a finding.
        const answered = answer.status !== 'closed' || answer.untagged.some((l) => /^\* (BAD|BYE)\b/.test(l));
        if (!answered) unanswered.push(`#${i} ${JSON.stringify(command)}`);
        if (answer.status === 'closed' || imap.isClosed) {
          imap.close();
          imap = await open();
        }
        if (i % 100 === 99) expect(t.stack.supervisor.pids.wildduck, `after case #${i} (seed ${SEED})`).toBe(wildduck);
      }
    } finally {
      imap.close();
    }
    expect(ran).toBeGreaterThan(CASES.imap / 2);
    expect(unanswered, `seed ${SEED}`).toEqual([]);
    await expectWildDuckServing(t, wildduck);
  }, 60_000);

  it(`POP3: ${CASES.pop3} mutated commands (seed ${SEED + 1})`, async () => {
    const rng = prng(SEED + 1);
    const account = await freshUser(t, 'fuzz-pop3');
    const seed = await RawImap.session(t.config.ports.imap, account.user, account.pass);
    await seed.run('APPEND INBOX {20}\r\nSubject: f\r\n\r\nbody\r\n');
    seed.close();
    const deadline = Date.now() + BUDGET_MS;
    const unanswered: string[] = [];
    for (let i = 0; i < CASES.pop3 && Date.now() < deadline; i++) {
      const command = fuzzed(POP3_CORPUS, rng);
      const { client } = await Pop3Client.connect(t.config.ports.pop3);
      try {
        await client.login(account.user, account.pass);
        const answer = await Promise.race([
          client.command(command).catch(() => 'closed'),
          new Promise<string>((resolve) => setTimeout(() => resolve('no answer'), 3_000)),
        ]);
        if (!/^[+-](OK|ERR)/.test(answer)) unanswered.push(`#${i} ${JSON.stringify(command)} → ${answer}`);
      } finally {
        client.destroy();
      }
    }
    expect(unanswered, `seed ${SEED + 1}`).toEqual([]);
    await expectWildDuckServing(t, wildduck);
  }, 60_000);

  it(`SMTP: ${CASES.smtp} mutated commands (seed ${SEED + 2})`, async () => {
    const rng = prng(SEED + 2);
    const deadline = Date.now() + BUDGET_MS;
    const unanswered: string[] = [];
    let { client } = await SmtpClient.connect(t.config.ports.smtp);
    try {
      for (let i = 0; i < CASES.smtp && Date.now() < deadline; i++) {
        // DATA and BDAT switch to message mode; the MX's handling of message bodies has its own tests.
        const command = fuzzed(SMTP_CORPUS, rng).replace(/^\s*(DATA|BDAT)\b/i, 'NOOP');
        const reply = await Promise.race([
          client.command(command.replace(/\r\n/g, ' ')).catch(() => undefined),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3_000)),
        ]);
        if (!reply || reply.code === 421 || reply.code === 521) {
          if (!reply) unanswered.push(`#${i} ${JSON.stringify(command)}`);
          await client.close();
          ({ client } = await SmtpClient.connect(t.config.ports.smtp));
        } else {
          expect(reply.code, `#${i} ${JSON.stringify(command)} (seed ${SEED + 2})`).toBeGreaterThanOrEqual(200);
        }
      }
    } finally {
      await client.close();
    }
    expect(unanswered, `seed ${SEED + 2}`).toEqual([]);
    expectProcessUnchanged(t, 'haraka', haraka);
    const { client: after, greeting } = await SmtpClient.connect(t.config.ports.smtp);
    expect(greeting.code).toBe(220);
    expect((await after.command('EHLO after.example')).code).toBe(250);
    await after.close();
  }, 60_000);
});
