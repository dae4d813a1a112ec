import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { portIsFree, waitUntil } from './probe.js';
import { type ServiceSpec, SetupError } from './services.js';

const COLORS = [36, 35, 33, 32, 34, 31];
const STOP_GRACE_MS = 10_000;

export interface SupervisorOptions {
  logDir: string;
  /** Also print every service's output, prefixed with its name, on this stream. */
  echo?: NodeJS.WritableStream;
  readyTimeoutMs?: number;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
}

/**
 * Starts services one after another, each only once the previous one really
 * answers, and stops them in reverse order. A service that dies on its own is
 * reported through `onUnexpectedExit`.
 */
export class Supervisor {
  private readonly running: Running[] = [];
  private readonly specs = new Map<string, ServiceSpec>();
  private unexpectedExit: (name: string, code: number | null, signal: NodeJS.Signals | null) => void = () => {};

  constructor(private readonly options: SupervisorOptions) {
    // If this process dies (even from an uncaught exception), take the children with it.
    process.once('exit', () => {
      for (const { child } of this.running) if (child.exitCode === null) child.kill('SIGKILL');
    });
  }

  onUnexpectedExit(handler: (name: string, code: number | null, signal: NodeJS.Signals | null) => void) {
    this.unexpectedExit = handler;
  }

  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((r) => [r.spec.name, r.child.pid]));
  }

  async start(spec: ServiceSpec): Promise<void> {
    this.specs.set(spec.name, spec);
    for (const [what, port] of Object.entries(spec.ports)) {
      if (!(await portIsFree('127.0.0.1', port))) {
        throw new SetupError(
          `port ${port} (${what}, needed by ${spec.name}) is already in use; stop whatever listens there, or choose another port in kura.config.json (ports.${what})`,
        );
      }
    }
    fs.mkdirSync(this.options.logDir, { recursive: true });
    const log = fs.createWriteStream(path.join(this.options.logDir, `${spec.name}.log`), { flags: 'a' });
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const color = COLORS[this.running.length % COLORS.length];
    const prefix = `\x1b[${color}m${spec.name.padEnd(9)}\x1b[0m| `;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        this.options.echo?.write(`${prefix}${line}\n`);
      });
    }
    let spawnError: Error | undefined;
    const entry: Running = {
      spec,
      child,
      stopping: false,
      exited: new Promise((resolve) => {
        child.once('error', (err) => {
          spawnError = err;
          resolve();
        });
        child.once('exit', (code, signal) => {
          log.end();
          if (!entry.stopping) this.unexpectedExit(spec.name, code, signal);
          resolve();
        });
      }),
    };
    this.running.push(entry);

    let exitedEarly = false;
    void entry.exited.then(() => {
      exitedEarly = true;
    });
    const timeout = spec.readyTimeoutMs ?? this.options.readyTimeoutMs ?? 60_000;
    try {
      await waitUntil(async () => {
        if (exitedEarly) throw new SetupError(`${spec.name} exited during start-up`);
        await spec.ready();
      }, timeout);
    } catch (err) {
      const detail = spawnError ? spawnError.message : (err as Error).message;
      throw new SetupError(
        `${spec.name} did not become ready within ${timeout / 1000} s: ${detail} (see ${path.join(this.options.logDir, `${spec.name}.log`)})`,
      );
    }
    if (exitedEarly) throw new SetupError(`${spec.name} exited during start-up (see its log)`);
  }

  /** Stops one service (SIGTERM, then SIGKILL after a grace period). */
  async stopService(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const entry = this.running.find((r) => r.spec.name === name);
    if (entry) await this.stopEntry(entry, signal);
  }

  /** Stops a service (default: kill -9, as a crash would) and starts it again with the same spec. */
  async restartService(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`unknown service ${name}`);
    await this.stopService(name, signal);
    await this.start(spec);
  }

  /** Stops everything, most dependent service first. */
  async stopAll(): Promise<void> {
    for (const entry of [...this.running].reverse()) await this.stopEntry(entry, 'SIGTERM');
  }

  private async stopEntry(entry: Running, signal: NodeJS.Signals): Promise<void> {
    entry.stopping = true;
    const { child } = entry;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await entry.exited;
      clearTimeout(killer);
    }
    this.running.splice(this.running.indexOf(entry), 1);
  }
}
