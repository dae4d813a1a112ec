// Child processes of a compatibility run: started in their own process group,
// logged to a file each, and always stopped (also on Ctrl-C or an early exit).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export class HarnessError extends Error {}

export const log = (msg: string) => process.stderr.write(`[compat] ${msg}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  label: string;
  process: ChildProcess;
  exited: Promise<Exit>;
  startError?: Error;
}

const children = new Set<Child>();

export function startProcess(
  label: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; append?: boolean },
): Child {
  const fd = fs.openSync(options.logFile, options.append ? 'a' : 'w');
  // Its own process group, so that stopping it also stops what it spawned
  // (mocha runs prepare.sh, which runs curl and mongosh).
  const process_ = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const child: Child = { label, process: process_, exited: Promise.resolve({ code: null, signal: null }) };
  // A program that cannot be started emits 'error' and never 'exit'.
  child.exited = new Promise((resolve) => {
    process_.once('exit', (code, signal) => resolve({ code, signal }));
    process_.once('error', (err) => {
      child.startError = err;
      log(`${label}: ${err.message}`);
      resolve({ code: null, signal: null });
    });
  });
  void child.exited.then(() => children.delete(child));
  children.add(child);
  return child;
}

export const isRunning = (child: Child) => child.process.exitCode === null && child.process.signalCode === null && !child.startError;

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    if (child.process.pid) process.kill(-child.process.pid, signal);
  } catch {
    // already gone
  }
}

export async function stopProcess(child: Child, graceMs = 5000): Promise<void> {
  if (!isRunning(child)) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopProcess(child)));
}

// Last resort when the process exits without going through stopAll().
process.on('exit', () => {
  for (const child of children) signalGroup(child, 'SIGKILL');
});

/** Distinct free ports: all listeners are held open together before any is released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until every port accepts connections; fails early when the process dies. */
export async function waitForPorts(child: Child, ports: number[], limitMs: number, logFile: string): Promise<void> {
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

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
