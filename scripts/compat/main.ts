#!/usr/bin/env node
// Runs WildDuck's own test suite against Kura's local data tier (FerretDB with
// its SQLite backend in place of MongoDB, plus redis) and reports how much of
// it passes. It is information, not a gate: the exit code is 0 whenever the
// suite ran, whatever it found, and non-zero only when the harness could not
// run (no FerretDB, no redis, WildDuck did not start).
//
// By default WildDuck runs as Kura's local stack runs it: with Kura's FerretDB
// adapter (@kura/store/ferretdb-preload) preloaded into every process that
// uses WildDuck's code. --raw leaves it out, to see FerretDB's own gaps.
//
// Usage: npm run compat -- [--raw] [--timeout SECONDS] [--keep] [GROUP... | GROUP --file PATH...]
//   GROUP      run only these mocha groups (names from WildDuck's Gruntfile.js)
//   --raw      plain FerretDB, without Kura's adapter
//   --timeout  time limit per group in seconds (default 600)
//   --keep     keep the temporary directory for inspection
//   --file     run only this file of the group (repeatable), e.g. api --file test/api/messages-test.js
//   --slow     multiply the suite's own time limits (mocha's and every this.timeout) by this
//              factor, for a machine under load; results so obtained are reported as such
// Environment: KURA_FERRETDB_BIN points at the FerretDB launcher built with Kura's
// patches (scripts/kura.sh builds it and sets it; the benchmark uses the same build).
//
// Output: a table on stdout, progress on stderr, .kura/compat/results.json and
// the logs of every process in .kura/compat/logs/.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Group, mochaEnv, readGroups, runGroup } from './mocha.ts';
import { LOG_DIR, OUT_DIR, PORT_NAMES, type Ports, ROOT, WILDDUCK } from './paths.ts';
import {
  type Child,
  elapsed,
  freePorts,
  HarnessError,
  isRunning,
  log,
  sleep,
  startProcess,
  stopAll,
  stopProcess,
  waitForPorts,
} from './processes.ts';
import { buildReport, ferretdbVersion, type GroupResult, printTable } from './results.ts';
import { copySuite, missingPrograms, writeMongoshStandIn, writeReporter } from './suite-copy.ts';

// Gruntfile.js waits this long after starting server.js before running mocha.
const SERVER_SETTLE_MS = 12_000;
const SERVER_START_LIMIT_MS = 120_000;

// The temporary directory, removed at the end unless --keep was given.
const scratch: { dir: string | null; keep: boolean } = { dir: null, keep: false };
// Set by Ctrl-C/TERM: the run stops and writes no results.
let interrupted = false;

async function cleanUp(): Promise<void> {
  await stopAll();
  if (!scratch.dir) return;
  if (scratch.keep) log(`kept ${scratch.dir}`);
  else fs.rmSync(scratch.dir, { recursive: true, force: true });
  scratch.dir = null;
}

// ---------------------------------------------------------------- data tier

// The launcher is built (with Kura's patches) by scripts/kura.sh, which `npm run compat` runs first.
function ferretdbBinary(): string {
  if (process.env.KURA_FERRETDB_BIN) return process.env.KURA_FERRETDB_BIN;
  throw new HarnessError('KURA_FERRETDB_BIN is not set: run `npm run compat`, which builds the patched data tier first');
}

async function startFerretDB(work: string, port: number): Promise<Child> {
  const logFile = path.join(LOG_DIR, 'ferretdb.log');
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(work, 'ferretdb'), '--log-level', 'warn'];
  const child = startProcess('FerretDB', ferretdbBinary(), args, { cwd: work, env: process.env, logFile });
  await waitForPorts(child, [port], 30_000, logFile);
  return child;
}

// No persistence: the store only has to live as long as the run.
async function startRedis(work: string, port: number): Promise<Child> {
  const logFile = path.join(LOG_DIR, 'redis.log');
  const dir = path.join(work, 'redis');
  fs.mkdirSync(dir);
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = startProcess('redis', 'redis-server', args, { cwd: work, env: process.env, logFile });
  await waitForPorts(child, [port], 30_000, logFile);
  return child;
}

// ---------------------------------------------------------------- WildDuck

/** Node arguments that load Kura's FerretDB adapter, as Kura's own stack does. */
function adapterNodeArgs(raw: boolean): string[] {
  if (raw) return [];
  try {
    const preload = createRequire(path.join(ROOT, 'package.json')).resolve('@kura/store/ferretdb-preload');
    return ['--import', pathToFileURL(preload).href];
  } catch {
    throw new HarnessError("Kura's FerretDB adapter is not built (packages/store/dist): run npm run build, or pass --raw");
  }
}

async function startWildDuck(suiteDir: string, env: NodeJS.ProcessEnv, nodeArgs: string[], ports: Ports): Promise<Child> {
  const logFile = path.join(LOG_DIR, 'wildduck-server.log');
  const started = Date.now();
  log('starting WildDuck server.js');
  const child = startProcess('WildDuck server', process.execPath, [...nodeArgs, 'server.js'], { cwd: suiteDir, env, logFile });
  await waitForPorts(child, [ports.api, ports.imap, ports.pop3, ports.lmtp], SERVER_START_LIMIT_MS, logFile);
  // Index set-up runs in the background after the ports open; the suite
  // expects it done, which Gruntfile.js approximates with a fixed wait.
  const deadline = Date.now() + 60_000;
  while (!fs.readFileSync(logFile, 'utf8').includes('Setup indexes for') && Date.now() < deadline) await sleep(500);
  await sleep(Math.max(0, SERVER_SETTLE_MS - (Date.now() - started)));
  log(`WildDuck is up (${elapsed(started)})`);
  return child;
}

// ---------------------------------------------------------------- main

function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      timeout: { type: 'string', default: '600' },
      keep: { type: 'boolean', default: false },
      raw: { type: 'boolean', default: false },
      file: { type: 'string', multiple: true, default: [] },
      slow: { type: 'string', default: '1' },
    },
  });
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new HarnessError(`--timeout must be a number of seconds, got ${values.timeout}`);
  if (values.file.length && positionals.length !== 1)
    throw new HarnessError('--file needs exactly one group, e.g. api --file test/api/messages-test.js');
  const slow = Number(values.slow);
  if (!(slow >= 1)) throw new HarnessError(`--slow must be a factor >= 1, got ${values.slow}`);
  return { timeoutMs, keep: values.keep, raw: values.raw, only: positionals, files: values.file, slow };
}

function selectGroups(only: string[], files: string[]): Group[] {
  let groups = readGroups();
  if (only.length) {
    const unknown = only.filter((name) => !groups.some((g) => g.name === name));
    if (unknown.length) throw new HarnessError(`unknown group(s) ${unknown.join(', ')}; known: ${groups.map((g) => g.name).join(', ')}`);
    groups = groups.filter((g) => only.includes(g.name));
  }
  // --file: only these files of the one group given (paths relative to WildDuck's package)
  if (files.length) groups = groups.map((g) => ({ ...g, patterns: files }));
  return groups;
}

async function main(): Promise<void> {
  const started = Date.now();
  const opts = options();
  if (opts.slow > 1) log(`time limits of the suite multiplied by ${opts.slow} (--slow)`);
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new HarnessError(`Node ${process.versions.node}: run this with Node 24 (npm run compat sets it up)`);
  }
  if (!fs.existsSync(WILDDUCK)) throw new HarnessError('node_modules/@zone-eu/wildduck is missing: run npm ci');

  const nodeArgs = adapterNodeArgs(opts.raw);
  const groups = selectGroups(opts.only, opts.files);

  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-compat-'));
  Object.assign(scratch, { dir: work, keep: opts.keep });
  log(`working directory ${work}`);
  try {
    const free = await freePorts(PORT_NAMES.length);
    const ports = Object.fromEntries(PORT_NAMES.map((name, i) => [name, free[i]])) as Ports;

    await startFerretDB(work, ports.ferretdb);
    log(`FerretDB ${ferretdbVersion()} on 127.0.0.1:${ports.ferretdb}`);
    await startRedis(work, ports.redis);
    log(`redis on 127.0.0.1:${ports.redis}`);

    const suiteDir = copySuite(work, ports, opts.slow);
    const env = mochaEnv(work, writeMongoshStandIn(work, ports));
    const reporter = writeReporter(work);
    const missing = missingPrograms(env.PATH ?? '');
    if (missing.length) log(`not installed, tests that run them will fail: ${missing.join(', ')}`);
    log(opts.raw ? "mode: raw FerretDB, without Kura's adapter" : "mode: with Kura's FerretDB adapter preloaded");
    const server = await startWildDuck(suiteDir, env, nodeArgs, ports);

    const results: GroupResult[] = [];
    for (const group of groups) {
      if (interrupted) return;
      results.push(await runGroup(group, { suiteDir, work, env, nodeArgs, reporter, timeoutMs: opts.timeoutMs, slowFactor: opts.slow }));
      if (!isRunning(server)) log('warning: the WildDuck server has exited');
    }
    await stopProcess(server);
    if (interrupted) return;

    const report = buildReport(results, started, opts.raw ? 'raw' : 'kura-adapter', missing);
    fs.writeFileSync(path.join(OUT_DIR, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`WildDuck ${report.versions.wildduck} suite on FerretDB ${report.versions.ferretdb}, mode: ${report.mode}\n`);
    printTable(report.groups, report.totals, report.distinct);
    console.log(`\n${report.startupSetupErrors.length} index/collection set-up errors logged by WildDuck at start-up`);
    console.log(
      `results: ${path.relative(process.cwd(), path.join(OUT_DIR, 'results.json'))}, logs: ${path.relative(process.cwd(), LOG_DIR)}/`,
    );
    log(`done in ${elapsed(started)}`);
  } finally {
    await cleanUp();
  }
}

// Ctrl-C or a TERM from a supervisor: stop the children, then leave.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    interrupted = true;
    log(`${signal}: stopping`);
    await cleanUp();
    process.exit(130);
  });
}

main().catch(async (err: unknown) => {
  await cleanUp();
  log(err instanceof HarnessError ? err.message : ((err as Error).stack ?? String(err)));
  process.exit(1);
});
