// The copy of WildDuck's package the suite runs from, and the files written
// beside it: a config overlay, a mongosh stand-in and a mocha reporter.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DB_NAME, type Ports, REDIS_DB, ROOT, WILDDUCK } from './paths.ts';
import { log } from './processes.ts';

/**
 * A few tests hard-code WildDuck's default ports, which the copy points at this
 * run's free ports, and the suite writes files into its own directory
 * (api-tests-overview.md), which must not land in node_modules.
 * `slowFactor` > 1 multiplies the suite's own time limits (a machine under load).
 */
export function copySuite(work: string, ports: Ports, slowFactor: number): string {
  const dir = path.join(work, 'wildduck');
  fs.cpSync(WILDDUCK, dir, { recursive: true, verbatimSymlinks: true });
  // Dependencies hoisted to the root resolve through this link.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  patchHardcodedPorts(dir, ports, slowFactor);
  fs.writeFileSync(path.join(work, 'compat.toml'), configOverlay(ports));
  return dir;
}

type Rule = [RegExp, string | ((match: string, ...groups: string[]) => string)];

function patchHardcodedPorts(dir: string, ports: Ports, slowFactor: number): void {
  const rules: Rule[] = [
    ...(slowFactor > 1
      ? [[/\bthis\.timeout\((\d+)\)/g, (_: string, ms: string) => `this.timeout(${Number(ms) * slowFactor})`] as Rule]
      : []),
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
    const after = rules.reduce(
      (text, [pattern, replacement]) => text.replace(pattern, replacement as (match: string, ...groups: string[]) => string),
      before,
    );
    if (after !== before) {
      fs.writeFileSync(full, after);
      patched++;
    }
  }
  log(`pointed hard-coded test ports at this run's ports in ${patched} files`);
}

/** Overlays WildDuck's config/test.toml (loaded through NODE_ENV=test). */
function configOverlay(ports: Ports): string {
  const section = (name: string, port: number) => `[${name}]\nport = ${port}\nhost = "127.0.0.1"\n`;
  return [
    `# written by Kura's compatibility harness (scripts/compat)
[dbs]
mongo = "mongodb://127.0.0.1:${ports.ferretdb}/${DB_NAME}"
redis = "redis://127.0.0.1:${ports.redis}/${REDIS_DB}"
dbname = "${DB_NAME}"
`,
    section('api', ports.api),
    section('imap', ports.imap),
    section('pop3', ports.pop3),
    section('lmtp', ports.lmtp),
    section('metrics', ports.metrics),
  ].join('\n');
}

/**
 * imap-core/test/prepare.sh and protocol-test.js call `mongosh DB --eval JS`
 * with a handful of plain collection calls. This stand-in runs such scripts
 * with WildDuck's own MongoDB driver, one call after another as mongosh would.
 * Returns the directory to put first on PATH.
 */
export function writeMongoshStandIn(work: string, ports: Ports): string {
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  const driver = createRequire(path.join(WILDDUCK, 'package.json')).resolve('mongodb');
  const source = `#!/usr/bin/env node
'use strict';
// mongosh stand-in written by Kura's compatibility harness (scripts/compat)
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

export function missingPrograms(pathVariable: string): string[] {
  const dirs = pathVariable.split(path.delimiter).filter(Boolean);
  const found = (name: string) =>
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

/**
 * Spec output for the group's log plus one JSON line per event, appended
 * synchronously so that a group stopped at its time limit keeps its results.
 * The list of all tests at the start lets tests skipped by a failed hook be
 * counted as "not run" instead of disappearing.
 */
export function writeReporter(work: string): string {
  const file = path.join(work, 'compat-reporter.cjs');
  fs.writeFileSync(
    file,
    `'use strict';
// mocha reporter written by Kura's compatibility harness (scripts/compat)
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
