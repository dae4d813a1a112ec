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
// Usage: node scripts/compat.mjs [--raw] [--timeout SECONDS] [--keep] [GROUP... | GROUP --file PATH...]
//   GROUP      run only these mocha groups (names from WildDuck's Gruntfile.js)
//   --raw      plain FerretDB, without Kura's adapter
//   --timeout  time limit per group in seconds (default 600)
//   --keep     keep the temporary directory for inspection
//   --file     run only this file of the group (repeatable), e.g. api --file test/api/messages-test.js
//   --slow     multiply the suite's own time limits (mocha's and every this.timeout) by this
//              factor, for a machine under load; results so obtained are reported as such
// Environment: KURA_FERRETDB_BIN points at a built FerretDB launcher; without
// it the launcher is built from tools/ferretdb into .kura/tools (as kura.sh does).
//
// Output: a table on stdout, progress on stderr, .kura/compat/results.json and
// the logs of every process in .kura/compat/logs/.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const WILDDUCK = path.join(ROOT, 'node_modules/@zone-eu/wildduck');
const FERRETDB_SRC = path.join(ROOT, 'tools/ferretdb');
const OUT_DIR = path.join(ROOT, '.kura/compat');
const LOG_DIR = path.join(OUT_DIR, 'logs');
const MOCHA_BIN = path.join(ROOT, 'node_modules/mocha/bin/mocha.js');
// Same values as WildDuck's test set-up: config/test.toml and `npm test`.
const DB_NAME = 'wildduck-test';
const REDIS_DB = 13;
// Gruntfile.js waits this long after starting server.js before running mocha.
const SERVER_SETTLE_MS = 12_000;
const SERVER_START_LIMIT_MS = 120_000;

const children = new Set();
// The temporary directory, removed at the end unless --keep was given.
const scratch = { dir: null, keep: false };
// Set by Ctrl-C/TERM: the run stops and writes no results.
let interrupted = false;
const log = (msg) => process.stderr.write(`[compat] ${msg}\n`);

class HarnessError extends Error {}

// ---------------------------------------------------------------- processes

// Each child gets its own process group so that stopping it also stops what
// it spawned (mocha runs prepare.sh, which runs curl and mongosh).
function startProcess(name, command, args, { cwd, env, logFile, append = false }) {
  const fd = fs.openSync(logFile, append ? 'a' : 'w');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.label = name;
  // A program that cannot be started emits 'error' and never 'exit'.
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      child.startError = err;
      log(`${name}: ${err.message}`);
      resolve({ code: null, signal: null });
    });
  });
  child.exited.then(() => children.delete(child));
  children.add(child);
  return child;
}

const isRunning = (child) => child.exitCode === null && child.signalCode === null && !child.startError;

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopProcess(child, graceMs = 5000) {
  if (!isRunning(child)) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

async function stopAll() {
  await Promise.all([...children].map((child) => stopProcess(child)));
}

async function cleanUp() {
  await stopAll();
  if (!scratch.dir) return;
  if (scratch.keep) log(`kept ${scratch.dir}`);
  else fs.rmSync(scratch.dir, { recursive: true, force: true });
  scratch.dir = null;
}

// Last resort when the process exits without going through stopAll().
process.on('exit', () => {
  for (const child of children) signalGroup(child, 'SIGKILL');
});

// ---------------------------------------------------------------- networking

// Holds all listeners open together so that the ports handed out are distinct.
async function freePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until every port accepts connections; fails early when the process dies.
async function waitForPorts(child, ports, limitMs, logFile) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (!isRunning(child)) {
      throw new HarnessError(`${child.label} exited during start-up; see ${logFile}\n${tail(logFile)}`);
    }
    const ready = await Promise.all(ports.map(canConnect));
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline) {
      throw new HarnessError(`${child.label} did not open ports ${ports.join(', ')} in time; see ${logFile}`);
    }
    await sleep(250);
  }
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- data tier

// The launcher is built (with Kura's patches) by scripts/kura.sh, which `npm run compat` runs first.
function ferretdbBinary() {
  if (process.env.KURA_FERRETDB_BIN) return process.env.KURA_FERRETDB_BIN;
  throw new HarnessError('KURA_FERRETDB_BIN is not set: run `npm run compat`, which builds the patched data tier first');
}

function ferretdbVersion() {
  const goMod = fs.readFileSync(path.join(FERRETDB_SRC, 'go.mod'), 'utf8');
  return goMod.match(/github\.com\/FerretDB\/FerretDB v(\S+)/)?.[1] ?? 'unknown';
}

async function startFerretDB(work, port) {
  const logFile = path.join(LOG_DIR, 'ferretdb.log');
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(work, 'ferretdb'), '--log-level', 'warn'];
  const child = startProcess('FerretDB', ferretdbBinary(), args, { cwd: work, env: process.env, logFile });
  await waitForPorts(child, [port], 30_000, logFile);
  return child;
}

// No persistence: the store only has to live as long as the run.
async function startRedis(work, port) {
  const logFile = path.join(LOG_DIR, 'redis.log');
  const dir = path.join(work, 'redis');
  fs.mkdirSync(dir);
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = startProcess('redis', 'redis-server', args, { cwd: work, env: process.env, logFile });
  await waitForPorts(child, [port], 30_000, logFile);
  return child;
}

// ---------------------------------------------------------------- suite copy

// --slow: factor for the suite's own time limits (1 = as WildDuck ships them).
let slowFactor = 1;

// The suite runs from a copy of the WildDuck package: a few tests hard-code
// WildDuck's default ports, which the copy points at this run's free ports,
// and the suite writes files into its own directory (api-tests-overview.md),
// which must not land in node_modules.
function copySuite(work, ports) {
  const dir = path.join(work, 'wildduck');
  fs.cpSync(WILDDUCK, dir, { recursive: true, verbatimSymlinks: true });
  // Dependencies hoisted to the root resolve through this link.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  patchHardcodedPorts(dir, ports);
  fs.writeFileSync(path.join(work, 'compat.toml'), configOverlay(ports));
  return dir;
}

function patchHardcodedPorts(dir, ports) {
  const rules = [
    ...(slowFactor > 1 ? [[/\bthis\.timeout\((\d+)\)/g, (_, ms) => `this.timeout(${Number(ms) * slowFactor})`]] : []),
    [/127\.0\.0\.1:8080\b/g, `127.0.0.1:${ports.api}`],
    [/\bport(\s*[:=]\s*)9993\b/g, `port$1${ports.imap}`],
    [/\bport(\s*[:=]\s*)2424\b/g, `port$1${ports.lmtp}`],
    [/\bMCP_PORT = 8099\b/g, `MCP_PORT = ${ports.mcp}`],
  ];
  const files = fs
    .globSync(['test/**/*.js', 'imap-core/test/**/*.{js,sh}'], { cwd: dir })
    .filter((file) => !file.split('/').includes('fixtures'));
  let patched = 0;
  for (const file of files) {
    const full = path.join(dir, file);
    const before = fs.readFileSync(full, 'utf8');
    const after = rules.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), before);
    if (after !== before) {
      fs.writeFileSync(full, after);
      patched++;
    }
  }
  log(`pointed hard-coded test ports at this run's ports in ${patched} files`);
}

// Overlays WildDuck's config/test.toml (loaded through NODE_ENV=test).
function configOverlay(ports) {
  return `# written by Kura's scripts/compat.mjs
[dbs]
mongo = "mongodb://127.0.0.1:${ports.ferretdb}/${DB_NAME}"
redis = "redis://127.0.0.1:${ports.redis}/${REDIS_DB}"
dbname = "${DB_NAME}"

[api]
port = ${ports.api}
host = "127.0.0.1"

[imap]
port = ${ports.imap}
host = "127.0.0.1"

[pop3]
port = ${ports.pop3}
host = "127.0.0.1"

[lmtp]
port = ${ports.lmtp}
host = "127.0.0.1"

[metrics]
port = ${ports.metrics}
host = "127.0.0.1"
`;
}

// imap-core/test/prepare.sh and protocol-test.js call `mongosh DB --eval JS`
// with a handful of plain collection calls. This stand-in runs such scripts
// with WildDuck's own MongoDB driver, one call after another as mongosh would.
function writeMongoshStandIn(work, ports) {
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  const driver = createRequire(path.join(WILDDUCK, 'package.json')).resolve('mongodb');
  const source = `#!/usr/bin/env node
'use strict';
// mongosh stand-in written by Kura's scripts/compat.mjs
const { MongoClient, ObjectId } = require(${JSON.stringify(driver)});
const args = process.argv.slice(2);
const evalAt = args.indexOf('--eval');
const script = evalAt >= 0 ? args[evalAt + 1] : '';
const dbName = args.find((arg, i) => !arg.startsWith('-') && i !== evalAt + 1) || 'test';

(async () => {
    const client = await MongoClient.connect(${JSON.stringify(`mongodb://127.0.0.1:${ports.ferretdb}`)});
    try {
        const database = client.db(dbName);
        const names = (await database.listCollections({}, { nameOnly: true }).toArray()).map(c => c.name);
        let chain = Promise.resolve();
        const queue = fn => (chain = chain.then(fn));
        const collection = name =>
            new Proxy({}, { get: (_, method) => (...a) => queue(() => database.collection(name)[method](...a)) });
        const db = new Proxy({}, {
            get: (_, prop) =>
                prop === 'getCollectionNames' ? () => names
                : prop === 'dropDatabase' ? () => queue(() => database.dropDatabase())
                : collection(prop)
        });
        new Function('db', 'ObjectId', script)(db, id => new ObjectId(id));
        await chain;
    } finally {
        await client.close();
    }
})().catch(err => {
    console.error('mongosh stand-in:', err.message);
    process.exit(1);
});
`;
  fs.writeFileSync(path.join(bin, 'mongosh'), source, { mode: 0o755 });
  return bin;
}

// Programs that parts of the suite run: prepare.sh uses curl and jq, the
// S/MIME tests openssl, the mpop pipelining tests the mpop POP3 client. A
// missing one fails those tests for a reason that has nothing to do with the
// data tier, so the report names it.
const SUITE_PROGRAMS = ['curl', 'jq', 'openssl', 'mpop'];

function missingPrograms(pathVariable) {
  const dirs = pathVariable.split(path.delimiter).filter(Boolean);
  const found = (name) =>
    dirs.some((dir) => {
      try {
        fs.accessSync(path.join(dir, name), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return SUITE_PROGRAMS.filter((name) => !found(name));
}

// Spec output for the group's log plus one JSON line per event, appended
// synchronously so that a group stopped at its time limit keeps its results.
// The list of all tests at the start lets tests skipped by a failed hook be
// counted as "not run" instead of disappearing.
function writeReporter(work) {
  const file = path.join(work, 'compat-reporter.cjs');
  fs.writeFileSync(
    file,
    `'use strict';
// mocha reporter written by Kura's scripts/compat.mjs
const fs = require('fs');
const { reporters, Runner } = require('mocha');
const { EVENT_RUN_BEGIN, EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Runner.constants;

const record = event => fs.appendFileSync(process.env.KURA_COMPAT_EVENTS, JSON.stringify(event) + '\\n');
const id = test => ({ file: test.file, title: test.fullTitle() });
const allTests = suite => [...suite.tests.map(id), ...suite.suites.flatMap(allTests)];
const message = err => String((err && (err.message || err)) || 'unknown error').slice(0, 500);

module.exports = class KuraCompatReporter extends reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(EVENT_RUN_BEGIN, () => record({ type: 'begin', tests: allTests(runner.suite) }));
        runner.on(EVENT_TEST_PASS, test => record({ type: 'pass', ...id(test) }));
        runner.on(EVENT_TEST_PENDING, test => record({ type: 'pending', ...id(test) }));
        runner.on(EVENT_TEST_FAIL, (test, err) =>
            record({ type: test.type === 'hook' ? 'hook' : 'fail', ...id(test), error: message(err) }));
        runner.once(EVENT_RUN_END, () => record({ type: 'end' }));
    }
};
`,
  );
  return file;
}

// ---------------------------------------------------------------- groups

// The mocha groups are read from WildDuck's Gruntfile.js (its mochaTest
// targets, in its order) so that the run follows the suite's own definition.
function readGroups() {
  let gruntConfig;
  const grunt = {
    initConfig(config) {
      gruntConfig = config;
    },
    loadNpmTasks() {},
    registerTask() {},
  };
  const previousEnv = process.env.NODE_ENV;
  createRequire(import.meta.url)(path.join(WILDDUCK, 'Gruntfile.js'))(grunt);
  // the Gruntfile sets NODE_ENV for grunt's own process; children get theirs from mochaEnv()
  if (previousEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = previousEnv;
  return Object.entries(gruntConfig.mochaTest).map(([name, target]) => ({ name, patterns: target.src }));
}

function expandFiles(dir, patterns) {
  return [...new Set(patterns.flatMap((pattern) => fs.globSync(pattern, { cwd: dir })))].sort();
}

function mochaEnv(work, binDir) {
  return {
    ...process.env,
    NODE_ENV: 'test',
    NODE_CONFIG_PATH: path.join(work, 'compat.toml'),
    // node first (for the mongosh stand-in's shebang), then the stand-in
    PATH: [path.dirname(process.execPath), binDir, process.env.PATH].join(path.delimiter),
    NODE_TLS_REJECT_UNAUTHORIZED: '0',
    FORCE_COLOR: '0',
  };
}

// Mocha gives up on a whole group when one file cannot be loaded (e.g. a
// missing devDependency). Such a file is set aside and the group run again, so
// that one missing module does not hide the results of all the other files.
async function runGroup(group, { suiteDir, work, env, nodeArgs, reporter, timeoutMs }) {
  const files = expandFiles(suiteDir, group.patterns);
  const eventsFile = path.join(work, `events-${group.name}.jsonl`);
  const logFile = path.join(LOG_DIR, `mocha-${group.name}.log`);
  const started = Date.now();
  const unloadable = [];
  log(`group ${group.name}: running ${files.length} files (limit ${Math.round(timeoutMs / 1000)}s)`);

  let run;
  for (;;) {
    const runnable = files.filter((file) => !unloadable.some((u) => u.file === file));
    const remainingMs = Math.max(1000, timeoutMs - (Date.now() - started));
    run = await runMocha(group.name, runnable, { suiteDir, env, nodeArgs, reporter, eventsFile, logFile, timeoutMs: remainingMs });
    if (run.loaded || run.timedOut) break;
    const failure = loadFailure(logFile, runnable);
    if (!failure) break;
    unloadable.push(failure);
    log(`group ${group.name}: ${failure.file} cannot be loaded (${failure.error}); running the group without it`);
  }

  const result = {
    name: group.name,
    files: files.length,
    unloadable,
    ...summarize(readEvents(eventsFile), suiteDir),
    timedOut: run.timedOut,
    exitCode: run.code,
    signal: run.signal,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    log: path.relative(ROOT, logFile),
  };
  if (!run.loaded) result.loadError = tail(logFile, 20);
  log(
    `group ${group.name}: ${result.passed} passed, ${result.failed} failed, ${result.pending} pending, ` +
      `${result.notRun} not run (${elapsed(started)})`,
  );
  return result;
}

async function runMocha(name, files, { suiteDir, env, nodeArgs, reporter, eventsFile, logFile, timeoutMs }) {
  fs.writeFileSync(eventsFile, '');
  const started = Date.now();
  // --exit as under grunt, whose mocha run does not wait for open handles.
  const slow = slowFactor > 1 ? ['--timeout', String(2000 * slowFactor)] : [];
  const args = [...nodeArgs, MOCHA_BIN, '--reporter', reporter, '--exit', '--no-config', '--no-package', ...slow, ...files];
  const child = startProcess(`mocha ${name}`, process.execPath, args, {
    cwd: suiteDir,
    env: { ...env, KURA_COMPAT_EVENTS: eventsFile },
    logFile,
    append: true,
  });

  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    log(`group ${name}: time limit reached, stopping it`);
    stopProcess(child);
  }, timeoutMs);
  const heartbeat = setInterval(() => {
    const s = summarize(readEvents(eventsFile));
    log(`group ${name}: ${s.passed} passed, ${s.failed} failed so far (${elapsed(started)})`);
  }, 60_000);
  const { code, signal } = await child.exited;
  clearTimeout(limit);
  clearInterval(heartbeat);
  const loaded = readEvents(eventsFile).some((e) => e.type === 'begin');
  return { code, signal, timedOut, loaded };
}

// Finds the group file named in mocha's "Exception during run" output.
function loadFailure(logFile, files) {
  const text = fs.readFileSync(logFile, 'utf8');
  const exception = text.slice(text.lastIndexOf('Exception during run'));
  const file = files.find((f) => exception.includes(`/${f}`));
  if (!file) return null;
  const error = exception.match(/Error: ([^\n]+)/)?.[1] ?? 'load error';
  return { file, error };
}

// A group stopped at its time limit may leave a half-written last line.
function readEvents(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line)] : [];
      } catch {
        return [];
      }
    });
}

// When one test has several outcomes, the worst one counts.
const STATUS_RANK = { notRun: 0, pending: 1, pass: 2, fail: 3 };

// One status per test: a test reported as passed and later as failed (e.g.
// "done() called multiple times") counts as failed.
function testStatuses(events, suiteDir = '') {
  const key = (e) => `${suiteDir ? path.relative(suiteDir, e.file ?? '') : e.file}\u0000${e.title}`;
  const statuses = new Map();
  const set = (e, status) => {
    const k = key(e);
    if (!statuses.has(k) || STATUS_RANK[status] > STATUS_RANK[statuses.get(k).status]) {
      statuses.set(k, { file: k.split('\u0000')[0], title: e.title, status, error: e.error });
    }
  };
  for (const e of events) {
    if (e.type === 'begin') for (const t of e.tests) set(t, 'notRun');
    if (['pass', 'fail', 'pending'].includes(e.type)) set(e, e.type);
  }
  return statuses;
}

function summarize(events, suiteDir) {
  const statuses = [...testStatuses(events, suiteDir).values()];
  const count = (status) => statuses.filter((t) => t.status === status).length;
  const hooks = events.filter((e) => e.type === 'hook');
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

// Several Gruntfile groups overlap (`api` globs all of test/, `imap` all of
// imap-core/test/), so the total also counts each distinct test once: failed
// if it failed anywhere, else passed if it passed anywhere.
function distinctTotals(groups) {
  const merged = new Map();
  for (const group of groups) {
    for (const t of group.statuses) {
      const k = `${t.file}\u0000${t.title}`;
      if (!merged.has(k) || STATUS_RANK[t.status] > STATUS_RANK[merged.get(k)]) merged.set(k, t.status);
    }
  }
  const values = [...merged.values()];
  const count = (status) => values.filter((s) => s === status).length;
  return { tests: values.length, passed: count('pass'), failed: count('fail'), pending: count('pending'), notRun: count('notRun') };
}

// ---------------------------------------------------------------- WildDuck

// Node arguments that load Kura's FerretDB adapter, as Kura's own stack does.
function adapterNodeArgs(raw) {
  if (raw) return [];
  try {
    const preload = createRequire(path.join(ROOT, 'package.json')).resolve('@kura/store/ferretdb-preload');
    return ['--import', pathToFileURL(preload).href];
  } catch {
    throw new HarnessError("Kura's FerretDB adapter is not built (packages/store/dist): run npm run build, or pass --raw");
  }
}

async function startWildDuck(suiteDir, env, nodeArgs, ports) {
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

// What WildDuck logged at start-up about collections and indexes it could not create.
function startupSetupErrors() {
  const text = fs.readFileSync(path.join(LOG_DIR, 'wildduck-server.log'), 'utf8');
  return text
    .split('\n')
    .filter((line) => /Failed (creating|to delete) (index|collection)/.test(line))
    .map((line) => line.replace(/^.*?(Failed)/, '$1').trim());
}

// ---------------------------------------------------------------- report

function versions() {
  const wdRequire = createRequire(path.join(WILDDUCK, 'package.json'));
  const version = (pkg) => JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
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

function printTable(groups, totals, distinct) {
  const header = ['group', 'files', 'tests', 'passed', 'failed', 'pending', 'not run', 'time'];
  const row = (g) => [
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r, i) => {
    if (i === groups.length) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    console.log(line(r));
  });
}

function elapsed(since) {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
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

async function main() {
  const started = Date.now();
  const opts = options();
  slowFactor = opts.slow;
  if (slowFactor > 1) log(`time limits of the suite multiplied by ${slowFactor} (--slow)`);
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new HarnessError(`Node ${process.versions.node}: run this with Node 24 (npm run compat sets it up)`);
  }
  if (!fs.existsSync(WILDDUCK)) throw new HarnessError('node_modules/@zone-eu/wildduck is missing: run npm ci');

  const nodeArgs = adapterNodeArgs(opts.raw);
  let groups = readGroups();
  if (opts.only.length) {
    const unknown = opts.only.filter((name) => !groups.some((g) => g.name === name));
    if (unknown.length) throw new HarnessError(`unknown group(s) ${unknown.join(', ')}; known: ${groups.map((g) => g.name).join(', ')}`);
    groups = groups.filter((g) => opts.only.includes(g.name));
  }
  // --file: only these files of the one group given (paths relative to WildDuck's package)
  if (opts.files.length) groups = groups.map((g) => ({ ...g, patterns: opts.files }));

  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-compat-'));
  Object.assign(scratch, { dir: work, keep: opts.keep });
  log(`working directory ${work}`);
  try {
    const names = ['ferretdb', 'redis', 'api', 'imap', 'pop3', 'lmtp', 'metrics', 'mcp'];
    const ports = Object.fromEntries((await freePorts(names.length)).map((port, i) => [names[i], port]));

    await startFerretDB(work, ports.ferretdb);
    log(`FerretDB ${ferretdbVersion()} on 127.0.0.1:${ports.ferretdb}`);
    await startRedis(work, ports.redis);
    log(`redis on 127.0.0.1:${ports.redis}`);

    const suiteDir = copySuite(work, ports);
    const env = mochaEnv(work, writeMongoshStandIn(work, ports));
    const reporter = writeReporter(work);
    const missing = missingPrograms(env.PATH);
    if (missing.length) log(`not installed, tests that run them will fail: ${missing.join(', ')}`);
    log(opts.raw ? "mode: raw FerretDB, without Kura's adapter" : "mode: with Kura's FerretDB adapter preloaded");
    const server = await startWildDuck(suiteDir, env, nodeArgs, ports);

    const results = [];
    for (const group of groups) {
      if (interrupted) return;
      results.push(await runGroup(group, { suiteDir, work, env, nodeArgs, reporter, timeoutMs: opts.timeoutMs }));
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

function buildReport(results, started, mode, missing) {
  const sum = (key) => results.reduce((n, g) => n + g[key], 0);
  const totals = Object.fromEntries(['tests', 'passed', 'failed', 'pending', 'notRun', 'hookFailures'].map((k) => [k, sum(k)]));
  return {
    date: new Date().toISOString(),
    mode,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    versions: versions(),
    missingPrograms: missing,
    totals,
    distinct: distinctTotals(results),
    groups: results.map(({ statuses, ...group }) => group),
    startupSetupErrors: startupSetupErrors(),
  };
}

// Ctrl-C or a TERM from a supervisor: stop the children, then leave.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    interrupted = true;
    log(`${signal}: stopping`);
    await cleanUp();
    process.exit(130);
  });
}

main().catch(async (err) => {
  await cleanUp();
  log(err instanceof HarnessError ? err.message : err.stack);
  process.exit(1);
});
