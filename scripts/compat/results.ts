// Turning mocha's event lines into per-test statuses, group summaries and the
// report (results.json and the table on stdout).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FERRETDB_SRC, LOG_DIR, ROOT, WILDDUCK } from './paths.ts';

export interface TestId {
  file?: string;
  title: string;
}

export type CompatEvent =
  | { type: 'begin'; tests: TestId[] }
  | ({ type: 'pass' | 'pending' } & TestId)
  | ({ type: 'fail' | 'hook'; error?: string } & TestId)
  | { type: 'end' };

type Status = 'notRun' | 'pending' | 'pass' | 'fail';

interface TestStatus {
  file: string;
  title: string;
  status: Status;
  error?: string;
}

export interface Summary {
  tests: number;
  passed: number;
  failed: number;
  pending: number;
  notRun: number;
  hookFailures: number;
  failures: Array<{ file: string; title: string; error?: string; hook?: boolean }>;
  statuses: TestStatus[];
}

export interface GroupResult extends Summary {
  name: string;
  files: number;
  unloadable: Array<{ file: string; error: string }>;
  timedOut: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationSeconds: number;
  log: string;
  loadError?: string;
}

/** A group stopped at its time limit may leave a half-written last line. */
export function readEvents(file: string): CompatEvent[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as CompatEvent] : [];
      } catch {
        return [];
      }
    });
}

// When one test has several outcomes, the worst one counts.
const STATUS_RANK: Record<Status, number> = { notRun: 0, pending: 1, pass: 2, fail: 3 };

/**
 * One status per test: a test reported as passed and later as failed (e.g.
 * "done() called multiple times") counts as failed.
 */
function testStatuses(events: CompatEvent[], suiteDir = ''): Map<string, TestStatus> {
  const key = (e: TestId) => `${suiteDir ? path.relative(suiteDir, e.file ?? '') : e.file}\u0000${e.title}`;
  const statuses = new Map<string, TestStatus>();
  const set = (e: TestId & { error?: string }, status: Status) => {
    const k = key(e);
    const previous = statuses.get(k);
    if (!previous || STATUS_RANK[status] > STATUS_RANK[previous.status]) {
      statuses.set(k, { file: k.split('\u0000')[0] ?? '', title: e.title, status, error: e.error });
    }
  };
  for (const e of events) {
    if (e.type === 'begin') for (const t of e.tests) set(t, 'notRun');
    if (e.type === 'pass' || e.type === 'fail' || e.type === 'pending') set(e, e.type);
  }
  return statuses;
}

export function summarize(events: CompatEvent[], suiteDir?: string): Summary {
  const statuses = [...testStatuses(events, suiteDir).values()];
  const count = (status: Status) => statuses.filter((t) => t.status === status).length;
  const hooks = events.filter((e): e is Extract<CompatEvent, { type: 'hook' }> => e.type === 'hook');
  return {
    tests: statuses.length,
    passed: count('pass'),
    failed: count('fail'),
    pending: count('pending'),
    notRun: count('notRun'),
    hookFailures: hooks.length,
    failures: [
      ...statuses.filter((t) => t.status === 'fail').map(({ file, title, error }) => ({ file, title, error })),
      ...hooks.map(({ file, title, error }) => ({ file: path.relative(suiteDir ?? '', file ?? ''), title, error, hook: true })),
    ],
    statuses,
  };
}

export interface Totals {
  tests: number;
  passed: number;
  failed: number;
  pending: number;
  notRun: number;
}

/**
 * Several Gruntfile groups overlap (`api` globs all of test/, `imap` all of
 * imap-core/test/), so the total also counts each distinct test once: failed
 * if it failed anywhere, else passed if it passed anywhere.
 */
function distinctTotals(groups: GroupResult[]): Totals {
  const merged = new Map<string, Status>();
  for (const group of groups) {
    for (const t of group.statuses) {
      const k = `${t.file}\u0000${t.title}`;
      const previous = merged.get(k);
      if (!previous || STATUS_RANK[t.status] > STATUS_RANK[previous]) merged.set(k, t.status);
    }
  }
  const values = [...merged.values()];
  const count = (status: Status) => values.filter((s) => s === status).length;
  return { tests: values.length, passed: count('pass'), failed: count('fail'), pending: count('pending'), notRun: count('notRun') };
}

export function ferretdbVersion(): string {
  const goMod = fs.readFileSync(path.join(FERRETDB_SRC, 'go.mod'), 'utf8');
  return goMod.match(/github\.com\/FerretDB\/FerretDB v(\S+)/)?.[1] ?? 'unknown';
}

function versions() {
  const wdRequire = createRequire(path.join(WILDDUCK, 'package.json'));
  const version = (pkg: string) => (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  const driverDir = path.dirname(wdRequire.resolve('mongodb/package.json'));
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? redis;
  } catch {
    // reported as unknown
  }
  return {
    wildduck: version(path.join(WILDDUCK, 'package.json')),
    ferretdb: `${ferretdbVersion()} (SQLite backend)`,
    node: process.versions.node,
    mongodbDriver: version(path.join(driverDir, 'package.json')),
    mocha: version(path.join(ROOT, 'node_modules/mocha/package.json')),
    redis,
  };
}

/** What WildDuck logged at start-up about collections and indexes it could not create. */
function startupSetupErrors(): string[] {
  const text = fs.readFileSync(path.join(LOG_DIR, 'wildduck-server.log'), 'utf8');
  return text
    .split('\n')
    .filter((line) => /Failed (creating|to delete) (index|collection)/.test(line))
    .map((line) => line.replace(/^.*?(Failed)/, '$1').trim());
}

export function buildReport(results: GroupResult[], started: number, mode: 'raw' | 'kura-adapter', missing: string[]) {
  const keys = ['tests', 'passed', 'failed', 'pending', 'notRun', 'hookFailures'] as const;
  const totals = Object.fromEntries(keys.map((k) => [k, results.reduce((n, g) => n + g[k], 0)])) as Record<(typeof keys)[number], number>;
  return {
    date: new Date().toISOString(),
    mode,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    versions: versions(),
    missingPrograms: missing,
    totals,
    distinct: distinctTotals(results),
    groups: results.map(({ statuses: _statuses, ...group }) => group),
    startupSetupErrors: startupSetupErrors(),
  };
}

type TableRow = Partial<Totals> & { name: string; files?: number; durationSeconds?: number };

export function printTable(groups: Array<Omit<GroupResult, 'statuses'>>, totals: Totals, distinct: Totals): void {
  const header = ['group', 'files', 'tests', 'passed', 'failed', 'pending', 'not run', 'time'];
  const row = (g: TableRow) => [
    g.name,
    g.files ?? '',
    g.tests,
    g.passed,
    g.failed,
    g.pending,
    g.notRun,
    g.durationSeconds != null ? `${g.durationSeconds}s` : '',
  ];
  const rows = [
    ...groups.map((g) => row({ ...g, name: g.timedOut ? `${g.name} (time limit)` : g.name })),
    row({ name: 'total (all groups)', ...totals }),
    row({ name: 'distinct tests', ...distinct }),
  ].map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(line(header));
  console.log(rule);
  rows.forEach((r, i) => {
    if (i === groups.length) console.log(rule);
    console.log(line(r));
  });
}
