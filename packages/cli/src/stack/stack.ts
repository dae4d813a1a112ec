import { assertSafeToExpose, type KuraConfig } from '@kura/config';
import { ensureDemoAccount } from './demo-account.js';
import { describeEndpoints, type Endpoints, writeEndpoints } from './endpoints.js';
import { haServices, haStackConfig, prepareHaFiles } from './ha.js';
import { prepareDataDir } from './prepare.js';
import type { CrashReport, RestartPolicy } from './restart-policy.js';
import { localServices, SetupError } from './services.js';
import { Supervisor } from './supervisor.js';
import { prepareWebmail } from './webmail.js';

export interface StackOptions {
  /** Where service output is echoed (prefixed); logs always go to files in the data dir. */
  echo?: NodeJS.WritableStream;
  /** Progress lines ("starting redis…"). */
  say?: (line: string) => void;
  /** Called when a service dies on its own while restarts are off (`restart: false`). */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** A service crashed and will be started again (default policy: back-off from 1 s to 30 s). */
  onCrash?: (report: CrashReport) => void;
  onRestarted?: (name: string, pid: number | undefined) => void;
  /** Restart policy for crashed services; false stops restarting (the crash is only reported). */
  restart?: RestartPolicy | false;
  /** Aborting stops whatever has been started so far (Ctrl-C during start-up). */
  signal?: AbortSignal;
  /** High-availability mode: two of each frontend behind HAProxy, Redis with Sentinels, the guard. */
  ha?: boolean;
}

export interface RunningStack {
  config: KuraConfig;
  endpoints: Endpoints;
  supervisor: Supervisor;
  stop(): Promise<void>;
}

/**
 * Starts the whole local stack (data tier, Redis, WildDuck, Haraka), each
 * service only after the ones it depends on answer, then makes sure the demo
 * account exists. On any failure everything started so far is stopped again.
 */
export async function startStack(requested: KuraConfig, options: StackOptions = {}): Promise<RunningStack> {
  const say = options.say ?? (() => {});
  const config = options.ha ? haStackConfig(requested) : safeToExpose(requested);
  prepareDataDir(config);
  if (options.ha) prepareHaFiles(config);
  else if (config.webmail.enabled) prepareWebmail(config);
  const supervisor = new Supervisor({ logDir: config.paths.logs, echo: options.echo, restart: options.restart });
  if (options.onUnexpectedExit) supervisor.onUnexpectedExit(options.onUnexpectedExit);
  if (options.onCrash) supervisor.onCrash(options.onCrash);
  options.signal?.addEventListener('abort', () => void supervisor.stopAll(), { once: true });
  try {
    for (const service of options.ha ? haServices(config) : localServices(config)) {
      if (options.signal?.aborted) throw new SetupError('start-up interrupted');
      say(`starting ${service.name}`);
      const started = Date.now();
      await supervisor.start(service);
      say(`${service.name} answers (${Date.now() - started} ms)`);
    }
    await ensureDemoAccount(config, options.ha ? (config.ha.wildduck[0]?.api ?? config.ports.api) : config.ports.api);
    const endpoints = describeEndpoints(config, supervisor.pids);
    writeEndpoints(config.paths.endpoints, endpoints);
    supervisor.onRestarted((name, pid) => {
      // endpoints.json names the processes that run now.
      endpoints.pids = { ...supervisor.pids };
      writeEndpoints(config.paths.endpoints, endpoints);
      options.onRestarted?.(name, pid);
    });
    return { config, endpoints, supervisor, stop: () => supervisor.stopAll() };
  } catch (err) {
    await supervisor.stopAll();
    throw err;
  }
}

/** The single local stack is plaintext and unauthenticated: loopback only (see docs/security.md). */
function safeToExpose(config: KuraConfig): KuraConfig {
  try {
    assertSafeToExpose(config);
  } catch (err) {
    throw new SetupError((err as Error).message);
  }
  if (config.security.enabled) {
    throw new SetupError('the secured profile runs with `kura up --ha`; the single local stack is for loopback only');
  }
  return config;
}
