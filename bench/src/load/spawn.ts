import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { LoadJob } from './jobs.ts';

const WORKER = path.join(import.meta.dirname, 'worker.ts');

/** The environment for load processes: never the profiler or inspector options meant for the servers. */
function loadEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _drop, ...env } = process.env;
  return env;
}

/** A running load-generator process; `lines` yields its JSON output lines. */
export class LoadProcess {
  readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(job: LoadJob) {
    this.child = spawn(process.execPath, ['--max-old-space-size=4096', WORKER, JSON.stringify(job)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: loadEnv(),
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.lines = readline.createInterface({ input: this.child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  }

  /** The next JSON line the process prints. */
  async next<T>(timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`load process gave no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const line = await Promise.race([this.lines.next(), timeout]);
      if (line.done) throw new Error(`load process ended without an answer: ${this.stderr.trim()}`);
      const parsed = JSON.parse(line.value) as { error?: string } & T;
      if (parsed.error) throw new Error(`load process failed: ${parsed.error}`);
      return parsed;
    } finally {
      clearTimeout(timer);
    }
  }

  send(line: string) {
    this.child.stdin?.write(`${line}\n`);
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs one job in its own process and returns its result; the process is killed on timeout. */
export async function runLoad<T>(job: LoadJob, timeoutMs: number): Promise<T> {
  const load = new LoadProcess(job);
  try {
    const { result } = await load.next<{ result: T }>(timeoutMs);
    return result;
  } finally {
    load.kill();
  }
}
