import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { portIsFree, waitUntil } from './probe.js';
import { type CrashReport, DEFAULT_RESTART_POLICY, type RestartPolicy, RestartTracker } from './restart-policy.js';
import { RotatingLog, type RotationOptions } from './rotating-log.js';
import { type ServiceSpec, SetupError } from './services.js';

const COLORS = [36, 35, 33, 32, 34, 31];
const STOP_GRACE_MS = 10_000;

export interface SupervisorOptions {
  logDir: string;
  /** Also print every service's output, prefixed with its name, on this stream. */
  echo?: NodeJS.WritableStream;
  readyTimeoutMs?: number;
  /** Bring back a service that dies after it was ready (default: on, with back-off); false: report it only. */
  restart?: RestartPolicy | false;
  /** Size-based rotation of each service's log (default: 10 MiB, 5 files kept). */
  logRotation?: RotationOptions;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  /** Passed its readiness check: a later exit is a crash, not a failed start. */
  ready: boolean;
}

/**
 * Starts services one after another, each only once the previous one really
 * answers, and stops them in reverse order. A service that dies on its own
 * after it was ready is started again after a back-off (doubling per crash in
 * a row) and reported through `onCrash`, with a JSON line in supervisor.log;
 * with `restart: false` it is only reported through `onUnexpectedExit`.
 */
export class Supervisor {
  private readonly running: Running[] = [];
  private readonly specs = new Map<string, ServiceSpec>();
  private readonly trackers = new Map<string, RestartTracker>();
  private readonly pendingRestarts = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private unexpectedExit: (name: string, code: number | null, signal: NodeJS.Signals | null) => void = () => {};
  private crash: (report: CrashReport) => void = () => {};
  private restarted: (name: string, pid: number | undefined) => void = () => {};

  constructor(private readonly options: SupervisorOptions) {
    // If this process dies (even from an uncaught exception), take the children with it.
    process.once('exit', () => {
      for (const { child } of this.running) if (child.exitCode === null) child.kill('SIGKILL');
    });
  }

  onUnexpectedExit(handler: (name: string, code: number | null, signal: NodeJS.Signals | null) => void) {
    this.unexpectedExit = handler;
  }

  /** A service crashed and is going to be started again (after `report.delayMs`). */
  onCrash(handler: (report: CrashReport) => void) {
    this.crash = handler;
  }

  /** A crashed service answers again. */
  onRestarted(handler: (name: string, pid: number | undefined) => void) {
    this.restarted = handler;
  }

  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((r) => [r.spec.name, r.child.pid]));
  }

  /** Automatic restarts per service since the stack started. */
  get restarts(): Record<string, number> {
    return Object.fromEntries([...this.trackers].map(([name, tracker]) => [name, tracker.restarts]));
  }

  async start(spec: ServiceSpec): Promise<void> {
    await this.launch(spec);
  }

  /** Starts `spec`; a restart takes the crashed entry's place so that stop order stays the start order. */
  private async launch(spec: ServiceSpec, replacing?: Running): Promise<void> {
    this.specs.set(spec.name, spec);
    for (const [what, port] of Object.entries(spec.ports)) {
      if (!(await portIsFree('127.0.0.1', port))) {
        throw new SetupError(
          `port ${port} (${what}, needed by ${spec.name}) is already in use; stop whatever listens there, or choose another port in kura.config.json (ports.${what})`,
        );
      }
    }
    // A restart that was due while the stack began to stop must not leave a process behind.
    if (this.closed) throw new SetupError(`${spec.name} not started: the stack is stopping`);
    fs.mkdirSync(this.options.logDir, { recursive: true });
    const log = new RotatingLog(path.join(this.options.logDir, `${spec.name}.log`), this.options.logRotation);
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
    // 'close' comes after the last output line (unlike 'exit'): only then is the log complete.
    child.once('close', () => log.close());
    let spawnError: Error | undefined;
    const entry: Running = {
      spec,
      child,
      stopping: false,
      ready: false,
      exited: new Promise((resolve) => {
        child.once('error', (err) => {
          spawnError = err;
          resolve();
        });
        child.once('exit', (code, signal) => {
          if (!entry.stopping) this.exitedOnItsOwn(entry, code, signal);
          resolve();
        });
      }),
    };
    const slot = replacing ? this.running.indexOf(replacing) : -1;
    if (slot >= 0) this.running[slot] = entry;
    else this.running.push(entry);

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
    entry.ready = true;
    this.tracker(spec.name).started(Date.now());
    if (this.closed) await this.stopEntry(entry, 'SIGTERM');
  }

  private tracker(name: string): RestartTracker {
    let tracker = this.trackers.get(name);
    if (!tracker) {
      tracker = new RestartTracker(this.options.restart || DEFAULT_RESTART_POLICY);
      this.trackers.set(name, tracker);
    }
    return tracker;
  }

  private exitedOnItsOwn(entry: Running, code: number | null, signal: NodeJS.Signals | null): void {
    // A failed start is reported by launch() itself; without a restart policy the caller decides.
    if (!entry.ready || this.closed) return;
    if (this.options.restart === false) {
      this.unexpectedExit(entry.spec.name, code, signal);
      return;
    }
    const verdict = this.tracker(entry.spec.name).crashed(Date.now());
    const report: CrashReport = { service: entry.spec.name, code, signal, ...verdict };
    this.journal({ event: 'crash', ...report });
    this.crash(report);
    this.scheduleRestart(entry, verdict.delayMs);
  }

  private scheduleRestart(entry: Running, delayMs: number): void {
    const name = entry.spec.name;
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(name);
      if (this.closed) return;
      this.launch(entry.spec, entry).then(
        () => {
          const pid = this.pids[name];
          this.journal({ event: 'restarted', service: name, pid });
          this.restarted(name, pid);
        },
        (err: unknown) => {
          if (this.closed) return;
          // Started but never became ready: that is one more crash in a row, with a longer wait.
          const current = this.running.find((r) => r.spec.name === name) ?? entry;
          const verdict = this.tracker(name).crashed(Date.now());
          const report: CrashReport = { service: name, code: current.child.exitCode, signal: current.child.signalCode, ...verdict };
          this.journal({ event: 'restart-failed', error: (err as Error).message, ...report });
          this.crash(report);
          void this.stopEntry(current, 'SIGKILL', false).then(() => this.scheduleRestart(current, verdict.delayMs));
        },
      );
    }, delayMs);
    this.pendingRestarts.set(name, timer);
  }

  /** One JSON line per crash and restart in <logDir>/supervisor.log (what `kura up` printed, for machines). */
  private journal(record: Record<string, unknown>): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`;
    try {
      fs.appendFileSync(path.join(this.options.logDir, 'supervisor.log'), line);
    } catch {
      // The log directory vanished (stack being removed): the callback still reports the event.
    }
  }

  /** Stops one service (SIGTERM, then SIGKILL after a grace period). */
  async stopService(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    clearTimeout(this.pendingRestarts.get(name));
    this.pendingRestarts.delete(name);
    const entry = this.running.find((r) => r.spec.name === name);
    if (entry) await this.stopEntry(entry, signal);
  }

  /** Stops a service (default: kill -9, as a crash would) and starts it again with the same spec. */
  async restartService(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`unknown service ${name}`);
    clearTimeout(this.pendingRestarts.get(name));
    this.pendingRestarts.delete(name);
    const entry = this.running.find((r) => r.spec.name === name);
    if (entry) await this.stopEntry(entry, signal, false);
    await this.launch(spec, entry);
  }

  /** Stops everything, most dependent service first. */
  async stopAll(): Promise<void> {
    this.closed = true;
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
    for (const entry of [...this.running].reverse()) await this.stopEntry(entry, 'SIGTERM');
  }

  /** `remove: false` keeps the entry's slot (a restart will take it). */
  private async stopEntry(entry: Running, signal: NodeJS.Signals, remove = true): Promise<void> {
    entry.stopping = true;
    const { child } = entry;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await entry.exited;
      clearTimeout(killer);
    }
    const index = this.running.indexOf(entry);
    if (remove && index >= 0) this.running.splice(index, 1);
  }
}
