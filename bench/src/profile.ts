import fs from 'node:fs';
import path from 'node:path';

/** Inspector options for the Node services: each picks a free port and prints its URL into its log. */
export const INSPECT_OPTIONS = '--inspect=127.0.0.1:0';

/** The inspector WebSocket URL a service printed into its log file, if any. */
export function inspectorUrl(logFile: string): string | undefined {
  if (!fs.existsSync(logFile)) return undefined;
  const matches = [...fs.readFileSync(logFile, 'utf8').matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
  return matches.at(-1)?.[1];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** A CPU profiler session on one running Node process, through its inspector. */
export class RemoteProfiler {
  private readonly socket: WebSocket;
  private counter = 0;
  private readonly waiting = new Map<number, (value: { result?: unknown; error?: { message: string } }) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message);
    });
  }

  static async connect(url: string): Promise<RemoteProfiler> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
    });
    return new RemoteProfiler(socket);
  }

  private call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.counter;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (message) => {
        this.waiting.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result as T);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: 1000 });
    await this.call('Profiler.start');
  }

  async stop(): Promise<CpuProfile> {
    const { profile } = await this.call<{ profile: CpuProfile }>('Profiler.stop');
    this.socket.close();
    return profile;
  }
}

export interface ProfileSummary {
  process: string;
  file: string;
  sampledMs: number;
  /** Share of samples in which the process was running JavaScript, native code or GC (not idle). */
  busyShare: number;
  /** Share of the busy samples by package or runtime part ("(idle)", "node:internal", "@zone-eu/wildduck", …). */
  topPackages: Array<{ name: string; share: number }>;
  /** Share of the busy samples by function (self time). */
  topFunctions: Array<{ name: string; share: number }>;
}

/** Where a script belongs: its npm package, Node's internals, or the runtime's pseudo-frames. */
function owner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1] as string;
  const ours = /packages\/([^/]+)\//.exec(url);
  return ours ? `@kura/${ours[1]}` : path.basename(url);
}

export function summarizeProfile(process: string, profile: CpuProfile, file: string, top = 8): ProfileSummary {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    all += hits;
    // Waiting for the data tier or the network is not where this process spends CPU.
    if (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = owner(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const fn = url ? `${functionName || '(anonymous)'} ${pkg}:${path.basename(url)}:${lineNumber + 1}` : functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, share: Math.round((hits / Math.max(1, total)) * 1000) / 1000 }));
  return {
    process,
    file,
    sampledMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyShare: Math.round((total / Math.max(1, all)) * 1000) / 1000,
    topPackages: ranked(byPackage),
    topFunctions: ranked(byFunction),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) sit at 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
