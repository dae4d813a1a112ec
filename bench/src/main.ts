/**
 * `npm run bench [-- --full]`: Kura and a Postfix + Dovecot reference, side by
 * side on this machine. Starts both stacks on loopback, fills the mailboxes
 * (untimed), runs every scenario against both (alternating which goes first),
 * profiles Kura where it is furthest behind, stops everything, and writes
 * bench/results/<timestamp>.json plus a section on top of docs/BENCHMARKS.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts, versions } from './facts.ts';
import { kuraOnlyFigures } from './kura-only.ts';
import { MODES, type Mode } from './modes.ts';
import { INSPECT_OPTIONS } from './profile.ts';
import { profileScenarios } from './profile-pass.ts';
import { figures, largestGaps, markdown, prependSection, type RunReport } from './report.ts';
import { type Prepared, prepare, type Sample, scenarios, userNames } from './scenarios.ts';
import { snapshotSamples } from './snapshot-samples.ts';
import { type KuraTarget, startKuraStack } from './stacks/kura.ts';
import { startReferenceStack } from './stacks/reference.ts';
import type { BenchTarget } from './stacks/target.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

const DEFAULT_RESULTS = path.join(ROOT, 'bench', 'results');

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    'results-dir': { type: 'string', default: DEFAULT_RESULTS },
    docs: { type: 'string', default: path.join(ROOT, 'docs', 'BENCHMARKS.md') },
    'no-docs': { type: 'boolean', default: false },
    /** Profile even in smoke mode (to check the profile pass itself). */
    profile: { type: 'boolean', default: false },
    /** A smaller (or larger) configuration than the mode's: read mailbox, distinct messages, the full store. */
    mailbox: { type: 'string' },
    distinct: { type: 'string' },
    'store-users': { type: 'string' },
    'store-messages': { type: 'string' },
    runs: { type: 'string' },
    /** The flood scenario's 5 KB messages and their pace (quick: 10 every 150 ms; --full: 100 every 100 ms). */
    'flood-small': { type: 'string' },
    'flood-interval-ms': { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
  },
});

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`bench: --${name} must be a whole number, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const chosenMode: Mode = MODES[values.smoke ? 'smoke' : values.full ? 'full' : 'quick'];
const mode: Mode = {
  ...chosenMode,
  profile: !values['no-profile'] && (chosenMode.profile || values.profile),
  runs: Math.max(1, count('runs', values.runs, chosenMode.runs)),
  mailbox: count('mailbox', values.mailbox, chosenMode.mailbox),
  distinct: Math.max(1, count('distinct', values.distinct, chosenMode.distinct)),
  flood: {
    ...chosenMode.flood,
    smallCount: Math.max(1, count('flood-small', values['flood-small'], chosenMode.flood.smallCount)),
    smallIntervalMs: count('flood-interval-ms', values['flood-interval-ms'], chosenMode.flood.smallIntervalMs),
  },
  store: {
    users: count('store-users', values['store-users'], chosenMode.store.users),
    messages: count('store-messages', values['store-messages'], chosenMode.store.messages),
  },
};
const startedAt = new Date();
const clock = () => `${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s`;
const say = (line: string) => process.stderr.write(`[bench ${clock()}] ${line}\n`);

const targets: BenchTarget[] = [];
let stopping: Promise<void> | undefined;
const stopAll = () => {
  stopping ??= Promise.all(targets.map((t) => t.stop().catch((err: Error) => say(`stopping ${t.name}: ${err.message}`)))).then(() => {});
  return stopping;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping both stacks`);
    void stopAll().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  say(`${mode.name} mode: ${mode.runs} run(s) of each scenario on each stack`);
  const machine = machineFacts();
  const report: RunReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    mode: mode.name,
    runs: mode.runs,
    machine,
    versions: versions(),
    endpoints: {},
    method: [],
    figures: [],
    largestGaps: [],
    profiles: [],
    dataTier: undefined,
    notMeasured: kuraOnlyFigures(ROOT),
    samples: [],
  };
  const samples: Array<Sample & { key: string }> = [];
  let kuraPrepared: Prepared | undefined;
  try {
    const reference = await startReferenceStack({ users: userNames(mode), say });
    targets.push(reference);
    const kura: KuraTarget = await startKuraStack({ say, nodeOptions: mode.profile ? INSPECT_OPTIONS : undefined });
    targets.push(kura);
    report.endpoints = { kura: kura.ports, reference: reference.ports };
    kuraPrepared = await prepare(kura, mode, say);
    const referencePrepared = await prepare(reference, mode, say);
    report.method = method(mode);
    if (!values.only || 'snapshot'.includes(values.only)) {
      // Before the inbound scenarios, while the store holds the read mailbox and little else.
      const got = await snapshotSamples(kura, mode.runs, say).catch((err: Error) => {
        say(`snapshot figures failed: ${err.message}`);
        return [];
      });
      samples.push(...got.map((s) => ({ ...s, key: 'snapshot' })));
    }
    const chosen = scenarios(mode).filter((s) => !values.only || s.name.includes(values.only));
    for (const scenario of chosen) {
      for (let run = 1; run <= mode.runs; run++) {
        // Alternate who goes first, so neither stack always gets the warmer machine.
        const order = run % 2 === 1 ? [kuraPrepared, referencePrepared] : [referencePrepared, kuraPrepared];
        for (const prepared of order) {
          const t = Date.now();
          try {
            const got = await scenario.run(prepared, mode, run);
            samples.push(...got.map((s) => ({ ...s, key: scenario.name })));
            say(`${scenario.name} · run ${run} · ${prepared.target.name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
          } catch (err) {
            say(`${scenario.name} · run ${run} · ${prepared.target.name} FAILED: ${(err as Error).message}`);
            samples.push({
              key: scenario.name,
              scenario: scenario.name,
              metric: 'run failed',
              unit: '-',
              better: 'higher',
              target: prepared.target.name,
              run,
              value: Number.NaN,
              note: (err as Error).message.slice(0, 200),
            });
          }
        }
      }
    }
    report.figures = figures(samples);
    const gaps = largestGaps(report.figures, 3);
    report.largestGaps = gaps.map((g) => ({ scenario: g.scenario, metric: g.metric, kuraBehindBy: g.kuraBehindBy }));
    if (mode.profile) {
      const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
      // .cpuprofile files run to megabytes: kept under .kura/ (not versioned) unless results go elsewhere.
      const profileRoot = values['results-dir'] === DEFAULT_RESULTS ? path.join(ROOT, '.kura', 'bench') : values['results-dir'];
      const profileDir = path.join(profileRoot, `${stamp}-profiles`);
      const profiled = await profileScenarios({ kura, prepared: kuraPrepared, mode, figures: report.figures, dir: profileDir, say });
      report.profiles = profiled.profiles;
      report.dataTier = profiled.dataTier;
    }
  } finally {
    await stopAll();
  }
  report.samples = samples;
  report.finishedAt = new Date().toISOString();
  fs.mkdirSync(values['results-dir'], { recursive: true });
  const jsonFile = path.join(values['results-dir'], `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, replacer, 2)}\n`);
  say(`results: ${jsonFile}`);
  if (!values['no-docs']) {
    prependSection(values.docs, markdown(report));
    say(`table: ${values.docs}`);
  }
  process.stdout.write(`${markdown(report)}\n`);
}

/** JSON has no NaN or Infinity: those become null. */
function replacer(_key: string, value: unknown) {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

function method(m: Mode): string[] {
  return [
    'Both stacks run at the same time on 127.0.0.1, each in its own temporary directory; load generators are separate Node processes speaking the protocols with minimal clients.',
    'Kura: the local stack (FerretDB + Redis + WildDuck + Haraka with the Kura plugin), per-client rate limits off. Reference: Postfix (smtpd, qmgr, lmtp) → Dovecot LMTP → Maildir, Dovecot IMAP and POP3, default tuning, no fsync changes, passwd-file users.',
    `Inbound: messages of a campus size mix (most 5–50 KB, every 8th 50 KB–1 MB, every 25th 1–${m.largeMaxBytes / 1024 ** 2} MB), ${Object.entries(
      m.inbound,
    )
      .map(([s, n]) => `${n} messages with ${s} sender${s === '1' ? '' : 's'}`)
      .join(
        ', ',
      )}; time to visible = start of MAIL FROM until an IDLE/NOOP watcher sees the message over IMAP. Throughput counts messages visible per second from the first MAIL FROM to the last message visible.`,
    `Flood: one sender sends ${m.flood.floodBytes / 1024 ** 2} MB messages back to back while ${m.flood.smallCount} 5 KB messages go out every ${m.flood.smallIntervalMs} ms on two other connections.`,
    `Read mailboxes are filled before timing starts, with the same messages on both stacks (5 KB–1 MB mix): Kura through the store's deliverToInbox (WildDuck's message handler, what the MX uses), the reference by writing Maildir files and letting doveadm index them. IMAP mailbox: ${m.mailbox} messages${m.mailbox < 10_000 ? ' (quick mode; --full uses 10,000)' : ''}; POP3 maildrop: ${m.maildrop} messages${m.maildrop < 1_000 ? ' (quick mode; --full uses 1,000)' : ''}. FETCH runs in batches of 50 and stops after ${m.readBudgetMs / 1000} s (POP3: ${m.pop3BudgetMs / 1000} s); rates then cover what was done and the table says so. ${Math.min(m.mailbox, m.distinct)} distinct messages per mailbox are delivered; the rest are storage-level copies of them. "In a full store": ${m.store.users} more users hold ${m.store.messages} copies in all.`,
    `IDLE memory: ${m.idleConnections} connections (${m.idleConnections < 1_000 ? 'quick mode; --full uses 1,000' : 'full'}), 10 per user, logged in with INBOX selected and in IDLE; proportional set size (PSS) of all server processes before and during, divided by the connections.`,
  ];
}

main().catch(async (err: Error) => {
  say(`bench failed: ${err.stack ?? err.message}`);
  await stopAll();
  process.exit(1);
});
