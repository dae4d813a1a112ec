import type { Endpoint, LoadJob } from './load/jobs.ts';
import { LoadProcess, runLoad } from './load/spawn.ts';
import { makeMessage, sizeMix } from './messages.ts';
import type { Mode } from './modes.ts';
import { memoryOf } from './procs.ts';
import type { BenchTarget, BenchUser } from './stacks/target.ts';
import { storeRead } from './store-scenario.ts';

export const HEADER_NEEDLE = 'quarterly-audit';
export const BODY_NEEDLE = 'zebrafinch';

/** One measured number of one run on one stack. */
export interface Sample {
  scenario: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  target: string;
  run: number;
  value: number;
  /** Set when the run did not cover everything it was meant to (budget, lost mail). */
  note?: string;
}

/** What a scenario needs from each stack, prepared before anything is timed. */
export interface Prepared {
  target: BenchTarget;
  users: {
    inbound: BenchUser;
    flood: BenchUser;
    login: BenchUser;
    reader: BenchUser;
    maildrop: BenchUser;
    idle: BenchUser[];
    store: BenchUser[];
  };
}

export const IDLE_PER_USER = 10;

export function userNames(mode: Mode): string[] {
  const idle = Array.from({ length: Math.ceil(mode.idleConnections / IDLE_PER_USER) }, (_, i) => `idle${i}`);
  const store = Array.from({ length: mode.store.users }, (_, i) => `store${i}`);
  return ['inbound', 'flood', 'login', 'reader', 'maildrop', ...idle, ...store];
}

/** Which distinct message the k-th message of a read mailbox is a copy of. */
export function seedOf(k: number, mode: Mode): number {
  return k % Math.min(mode.mailbox, mode.distinct);
}

/** Creates users and fills the read mailboxes; the same messages go to both stacks. */
export async function prepare(target: BenchTarget, mode: Mode, say: (line: string) => void): Promise<Prepared> {
  const names = userNames(mode);
  const made = new Map<string, BenchUser>();
  for (const name of names) made.set(name, await target.user(name));
  const get = (name: string) => made.get(name) as BenchUser;
  const fillMessages = (user: BenchUser, count: number, seed: number) =>
    sizeMix(count, seed, 1024 * 1024)
      // The read mailbox holds ordinary mail (5 KB–1 MB): the fill is not what is measured.
      .map((bytes, i) => ({
        raw: makeMessage({
          id: `${user.login.split('@')[0]}-${i}`,
          to: user.address,
          bytes,
          seed: seed + i,
          subjectExtra: i % 50 === 7 ? HEADER_NEEDLE : undefined,
          bodyExtra: i % 40 === 3 ? BODY_NEEDLE : undefined,
        }),
      }));
  // Distinct messages are delivered one by one; a larger mailbox holds copies of them (storage-level).
  const fill = async (user: BenchUser, count: number, seed: number) => {
    await target.fill(user, fillMessages(user, Math.min(count, mode.distinct), seed));
    if (count > mode.distinct) await bulkLoad(target, () => target.clone(user, count, user));
  };
  let t = Date.now();
  await fill(get('reader'), mode.mailbox, 1000);
  say(`${target.name}: filled the IMAP mailbox with ${mode.mailbox} messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // When the sizes match, POP3 reads the IMAP mailbox: filling Kura is the slow part of the set-up.
  const maildrop = mode.maildrop === mode.mailbox ? get('reader') : get('maildrop');
  if (maildrop !== get('reader')) {
    t = Date.now();
    await fill(maildrop, mode.maildrop, 5000);
    say(`${target.name}: filled the POP3 maildrop with ${mode.maildrop} messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  return {
    target,
    users: {
      inbound: get('inbound'),
      flood: get('flood'),
      login: get('login'),
      reader: get('reader'),
      maildrop,
      idle: names.filter((n) => n.startsWith('idle')).map(get),
      store: names.filter((n) => n.startsWith('store')).map(get),
    },
  };
}

function endpoint(target: BenchTarget): Endpoint {
  return { host: target.host, ...target.ports };
}

/** One scenario: runs once against one stack and returns its samples. */
export interface Scenario {
  name: string;
  run(p: Prepared, mode: Mode, run: number): Promise<Sample[]>;
}

const sample = (
  p: Prepared,
  run: number,
  scenario: string,
  metric: string,
  unit: string,
  better: Sample['better'],
  value: number,
  note?: string,
): Sample => ({ scenario, metric, unit, better, target: p.target.name, run, value, ...(note ? { note } : {}) });

interface InboundResult {
  messages: number;
  accepted: number;
  visible: number;
  failures: string[];
  messagesPerSecond: number;
  megabytesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

function inboundScenario(senders: number): Scenario {
  const name = `inbound SMTP, ${senders} concurrent sender${senders === 1 ? '' : 's'}`;
  return {
    name,
    async run(p, mode, run) {
      const count = mode.inbound[senders] ?? 0;
      const job: LoadJob = {
        kind: 'inbound',
        endpoint: endpoint(p.target),
        user: p.users.inbound,
        sizes: sizeMix(count, senders * 100 + run, mode.largeMaxBytes),
        senders,
        seed: senders * 1000 + run,
        timeoutMs: mode.visibleTimeoutMs,
        stallMs: mode.stallMs,
      };
      const r = await runLoad<InboundResult>(job, mode.visibleTimeoutMs + 300_000);
      const lost = r.accepted - r.visible;
      const note =
        lost > 0 || r.failures.length > 0
          ? `${r.visible}/${r.messages} visible${r.failures.length ? `; refused: ${r.failures[0]}` : ''}`
          : undefined;
      return [
        sample(p, run, name, 'throughput', 'messages/s', 'higher', r.messagesPerSecond, note),
        sample(p, run, name, 'throughput', 'MB/s', 'higher', r.megabytesPerSecond, note),
        sample(p, run, name, 'time to visible p50', 'ms', 'lower', r.latencyP50Ms, note),
        sample(p, run, name, 'time to visible p99', 'ms', 'lower', r.latencyP99Ms, note),
        sample(p, run, name, 'accepted messages visible over IMAP', '%', 'higher', (r.visible / Math.max(1, r.accepted)) * 100),
      ];
    },
  };
}

const floodScenario = (mode: Mode): Scenario => ({
  name: `flood fairness: ${mode.flood.floodBytes / 1024 ** 2} MB flood + 5 KB messages`,
  async run(p, mode, run) {
    const r = await runLoad<{
      smallMessages: number;
      smallVisible: number;
      smallP50Ms: number;
      smallP99Ms: number;
      floodMessagesAccepted: number;
    }>(
      {
        kind: 'flood',
        endpoint: endpoint(p.target),
        user: p.users.flood,
        floodBytes: mode.flood.floodBytes,
        smallCount: mode.flood.smallCount,
        smallBytes: 5 * 1024,
        smallIntervalMs: mode.flood.smallIntervalMs,
        seed: 77 + run,
        timeoutMs: mode.visibleTimeoutMs,
        stallMs: mode.stallMs,
      },
      mode.visibleTimeoutMs + 300_000,
    );
    const note = r.smallVisible < r.smallMessages ? `${r.smallVisible}/${r.smallMessages} small messages visible` : undefined;
    return [
      sample(p, run, this.name, '5 KB time to visible p99', 'ms', 'lower', r.smallP99Ms, note),
      sample(p, run, this.name, '5 KB time to visible p50', 'ms', 'lower', r.smallP50Ms, note),
      sample(
        p,
        run,
        this.name,
        `${mode.flood.floodBytes / 1024 ** 2} MB messages accepted meanwhile`,
        'messages',
        'higher',
        r.floodMessagesAccepted,
      ),
    ];
  },
});

const login: Scenario = {
  name: 'IMAP login',
  async run(p, mode, run) {
    const r = await runLoad<{ loginsPerSecond: number; errors: string[] }>(
      { kind: 'login', endpoint: endpoint(p.target), user: p.users.login, concurrency: 4, durationMs: mode.loginMs },
      mode.loginMs + 60_000,
    );
    return [
      sample(p, run, this.name, 'logins (connect, LOGIN, LOGOUT; 4 at a time)', 'logins/s', 'higher', r.loginsPerSecond, r.errors[0]),
    ];
  },
};

interface ReadResult {
  exists: number;
  selectMs: number;
  headers: { messages: number; complete: boolean; messagesPerSecond: number; selectPlusFetchMs: number };
  bodies: { messages: number; complete: boolean; megabytesPerSecond: number };
  searchHeader: { ms: number; hits: number; status: string };
  searchBody: { ms: number; hits: number; status: string };
}

const read: Scenario = {
  name: 'IMAP read',
  run: (p, mode, run) => readFigures(p, mode, run, `IMAP, ${mode.mailbox}-message mailbox`),
};

/** SELECT, FETCH, full-body FETCH and SEARCH of the reader's mailbox, as figures of the given scenario. */
export async function readFigures(p: Prepared, mode: Mode, run: number, scenario: string): Promise<Sample[]> {
  {
    const r = await runLoad<ReadResult>(
      {
        kind: 'read',
        endpoint: endpoint(p.target),
        user: p.users.reader,
        batch: 50,
        budgetMs: mode.readBudgetMs,
        headerNeedle: HEADER_NEEDLE,
        bodyNeedle: BODY_NEEDLE,
      },
      mode.readBudgetMs * 3 + 300_000,
    );
    const partial = (what: { messages: number; complete: boolean }) =>
      what.complete ? undefined : `only ${what.messages}/${r.exists} messages within the ${mode.readBudgetMs / 1000} s budget`;
    const hits = (s: { hits: number; status: string }, expected: number) =>
      s.hits === expected ? undefined : s.hits < 0 ? `failed: ${s.status}` : `${s.hits} hits, expected ${expected}`;
    const expectedHeader = Array.from({ length: mode.mailbox }, (_, i) => seedOf(i, mode)).filter((i) => i % 50 === 7).length;
    const expectedBody = Array.from({ length: mode.mailbox }, (_, i) => seedOf(i, mode)).filter((i) => i % 40 === 3).length;
    const shown = r.exists === mode.mailbox ? undefined : `the server shows ${r.exists} of ${mode.mailbox} messages`;
    return [
      sample(p, run, scenario, 'SELECT', 'ms', 'lower', r.selectMs, shown),
      sample(
        p,
        run,
        scenario,
        'SELECT + FETCH (ENVELOPE FLAGS BODYSTRUCTURE), all',
        'ms',
        'lower',
        r.headers.selectPlusFetchMs,
        partial(r.headers),
      ),
      sample(
        p,
        run,
        scenario,
        'FETCH (ENVELOPE FLAGS BODYSTRUCTURE) rate',
        'messages/s',
        'higher',
        r.headers.messagesPerSecond,
        partial(r.headers),
      ),
      sample(p, run, scenario, 'full-body FETCH (BODY.PEEK[])', 'MB/s', 'higher', r.bodies.megabytesPerSecond, partial(r.bodies)),
      // A SEARCH the server refused has no speed: n/a, with the server's answer as the note.
      sample(
        p,
        run,
        scenario,
        'SEARCH HEADER Subject',
        'ms',
        'lower',
        r.searchHeader.hits < 0 ? Number.NaN : r.searchHeader.ms,
        hits(r.searchHeader, expectedHeader),
      ),
      sample(
        p,
        run,
        scenario,
        'SEARCH BODY',
        'ms',
        'lower',
        r.searchBody.hits < 0 ? Number.NaN : r.searchBody.ms,
        hits(r.searchBody, expectedBody),
      ),
    ];
  }
}

const idle: Scenario = {
  name: 'IMAP IDLE memory',
  async run(p, mode, run) {
    const before = memoryOf(p.target.serverPids());
    const load = new LoadProcess({ kind: 'idle', endpoint: endpoint(p.target), users: p.users.idle, connections: mode.idleConnections });
    try {
      const { ready } = await load.next<{ ready: number }>(300_000);
      // Let lazily allocated per-session state settle before reading memory.
      await new Promise((r) => setTimeout(r, 2_000));
      const during = memoryOf(p.target.serverPids());
      load.send('release');
      await load.next(60_000);
      const scenario = `IMAP, ${mode.idleConnections} idle connections (IDLE)`;
      const deltaMb = (during.pssBytes - before.pssBytes) / 1024 ** 2;
      // A few MB either way is what a garbage-collected heap does on its own.
      const noise = Math.abs(deltaMb) < 4 ? `total change ${deltaMb.toFixed(1)} MB: within the noise of the servers' heaps` : undefined;
      if (ready !== mode.idleConnections) throw new Error(`only ${ready} of ${mode.idleConnections} connections reached IDLE`);
      // Memory that fell while connections opened was freed from earlier work (a heap collected): no per-connection figure.
      const shrank =
        deltaMb < 0 ? `unknown: the servers' memory fell by ${(-deltaMb).toFixed(1)} MB meanwhile (earlier work freed)` : undefined;
      const perConnection = (bytes: number) => (shrank ? Number.NaN : bytes / ready / 1024);
      return [
        sample(
          p,
          run,
          scenario,
          'memory per connection (PSS)',
          'KB',
          'lower',
          perConnection(during.pssBytes - before.pssBytes),
          shrank ?? noise,
        ),
        sample(
          p,
          run,
          scenario,
          'memory per connection (RSS sum)',
          'KB',
          'lower',
          perConnection(during.rssBytes - before.rssBytes),
          shrank ?? noise,
        ),
        sample(p, run, scenario, 'server processes while idle', 'processes', 'lower', during.processes),
      ];
    } finally {
      load.kill();
      // Sessions close asynchronously; give the server a moment before the next run measures "before".
      await new Promise((r) => setTimeout(r, 2_000));
    }
  },
};

const pop3: Scenario = {
  name: 'POP3',
  async run(p, mode, run) {
    const r = await runLoad<{ maildrop: number; statMs: number; retrieved: number; complete: boolean; megabytesPerSecond: number }>(
      { kind: 'pop3', endpoint: endpoint(p.target), user: p.users.maildrop, budgetMs: mode.pop3BudgetMs },
      mode.pop3BudgetMs + 300_000,
    );
    const note = r.complete ? undefined : `only ${r.retrieved}/${r.maildrop} messages within the ${mode.pop3BudgetMs / 1000} s budget`;
    const scenario = `POP3, ${mode.maildrop}-message maildrop`;
    return [
      sample(
        p,
        run,
        scenario,
        'STAT',
        'ms',
        'lower',
        r.statMs,
        r.maildrop === mode.maildrop ? undefined : `STAT shows ${r.maildrop} messages`,
      ),
      sample(p, run, scenario, 'RETR every message', 'MB/s', 'higher', r.megabytesPerSecond, note),
    ];
  },
};

export function scenarios(mode: Mode): Scenario[] {
  // Reads first, while the store holds only the read mailbox: the inbound and flood scenarios add hundreds of MB.
  // The full store comes after the plain reads (to compare them) and before the inbound scenarios.
  return [login, read, idle, pop3, storeRead, ...Object.keys(mode.inbound).map((n) => inboundScenario(Number(n))), floodScenario(mode)];
}

/** Runs a storage-level bulk load through the target's own bulk loading, when it has one. */
export function bulkLoad(target: BenchTarget, work: () => Promise<void>): Promise<void> {
  return target.bulkLoad ? target.bulkLoad(work) : work();
}
