// Running WildDuck's mocha groups, as its Gruntfile defines them, one at a time
// within a time limit, recording every test's outcome.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LOG_DIR, MOCHA_BIN, ROOT, WILDDUCK } from './paths.ts';
import { type Exit, elapsed, log, startProcess, stopProcess, tail } from './processes.ts';
import { type GroupResult, readEvents, summarize } from './results.ts';

export interface Group {
  name: string;
  patterns: string[];
}

/** The mocha groups, read from WildDuck's Gruntfile.js (its mochaTest targets, in its order). */
export function readGroups(): Group[] {
  let gruntConfig: { mochaTest: Record<string, { src: string[] }> } | undefined;
  const grunt = {
    initConfig(config: typeof gruntConfig) {
      gruntConfig = config;
    },
    loadNpmTasks() {},
    registerTask() {},
  };
  const previousEnv = process.env.NODE_ENV;
  (createRequire(import.meta.url)(path.join(WILDDUCK, 'Gruntfile.js')) as (g: typeof grunt) => void)(grunt);
  // the Gruntfile sets NODE_ENV for grunt's own process; children get theirs from mochaEnv()
  if (previousEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = previousEnv;
  if (!gruntConfig) throw new Error("WildDuck's Gruntfile.js defined no configuration");
  return Object.entries(gruntConfig.mochaTest).map(([name, target]) => ({ name, patterns: target.src }));
}

function expandFiles(dir: string, patterns: string[]): string[] {
  return [...new Set(patterns.flatMap((pattern) => fs.globSync(pattern, { cwd: dir })))].sort();
}

export function mochaEnv(work: string, binDir: string): NodeJS.ProcessEnv {
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

export interface RunContext {
  suiteDir: string;
  work: string;
  env: NodeJS.ProcessEnv;
  nodeArgs: string[];
  reporter: string;
  timeoutMs: number;
  slowFactor: number;
}

/**
 * Mocha gives up on a whole group when one file cannot be loaded (e.g. a
 * missing devDependency). Such a file is set aside and the group run again, so
 * that one missing module does not hide the results of all the other files.
 */
export async function runGroup(group: Group, context: RunContext): Promise<GroupResult> {
  const { suiteDir, work, timeoutMs } = context;
  const files = expandFiles(suiteDir, group.patterns);
  const eventsFile = path.join(work, `events-${group.name}.jsonl`);
  const logFile = path.join(LOG_DIR, `mocha-${group.name}.log`);
  const started = Date.now();
  const unloadable: Array<{ file: string; error: string }> = [];
  log(`group ${group.name}: running ${files.length} files (limit ${Math.round(timeoutMs / 1000)}s)`);

  let run: Exit & { timedOut: boolean; loaded: boolean };
  for (;;) {
    const runnable = files.filter((file) => !unloadable.some((u) => u.file === file));
    const remainingMs = Math.max(1000, timeoutMs - (Date.now() - started));
    run = await runMocha(group.name, runnable, { ...context, eventsFile, logFile, timeoutMs: remainingMs });
    if (run.loaded || run.timedOut) break;
    const failure = loadFailure(logFile, runnable);
    if (!failure) break;
    unloadable.push(failure);
    log(`group ${group.name}: ${failure.file} cannot be loaded (${failure.error}); running the group without it`);
  }

  const result: GroupResult = {
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

async function runMocha(
  name: string,
  files: string[],
  context: RunContext & { eventsFile: string; logFile: string },
): Promise<Exit & { timedOut: boolean; loaded: boolean }> {
  const { suiteDir, env, nodeArgs, reporter, eventsFile, logFile, timeoutMs, slowFactor } = context;
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
    void stopProcess(child);
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

/** The group file named in mocha's "Exception during run" output. */
function loadFailure(logFile: string, files: string[]): { file: string; error: string } | null {
  const text = fs.readFileSync(logFile, 'utf8');
  const exception = text.slice(text.lastIndexOf('Exception during run'));
  const file = files.find((f) => exception.includes(`/${f}`));
  if (!file) return null;
  const error = exception.match(/Error: ([^\n]+)/)?.[1] ?? 'load error';
  return { file, error };
}
