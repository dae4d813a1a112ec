import fs from 'node:fs';
import path from 'node:path';
import { haServices, portIsFree, type RunningStack, startStack } from '@kura/cli';
import { internalHost, type KuraConfig, type KuraConfigInput, loadConfig } from '@kura/config';
import { testTrust } from './stack.js';

/**
 * Free ports below Linux's ephemeral range (32768+): the HA stack binds about 45 of
 * them over several seconds, and ports the kernel hands out for outgoing
 * connections (other tests are busy too) must not take one in between.
 */
async function listenablePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  let candidate = 20_000 + Math.floor(Math.random() * 12_000);
  while (ports.length < count) {
    candidate = candidate >= 32_700 ? 20_000 : candidate + 1;
    if (await portIsFree('127.0.0.1', candidate)) ports.push(candidate);
  }
  return ports;
}

/** A config for the high-availability stack on free ports, with a fast guard (probes every second). */
export async function haTestConfig(
  dataDir: string,
  guard: Record<string, unknown> = {},
  limits: NonNullable<NonNullable<KuraConfigInput['smtp']>['limits']> = {},
  security?: KuraConfigInput['security'],
): Promise<KuraConfig> {
  const config = await haTestConfigOnce(dataDir, guard, limits, security);
  made.set(config, [guard, limits, security]);
  return config;
}

/** What each config was made with, so a retry on other ports keeps the test's own settings. */
const made = new WeakMap<KuraConfig, [Record<string, unknown>, Parameters<typeof haTestConfig>[2], KuraConfigInput['security']]>();

async function haTestConfigOnce(
  dataDir: string,
  guard: Record<string, unknown>,
  limits: NonNullable<NonNullable<KuraConfigInput['smtp']>['limits']>,
  security: KuraConfigInput['security'],
): Promise<KuraConfig> {
  if (!process.env.KURA_FERRETDB_BIN && !process.env.MONGODB_URI) {
    throw new Error('KURA_FERRETDB_BIN is not set: run the tests with `npm test`, which builds the data tier');
  }
  const p = await listenablePorts(47);
  const next = () => p.shift() as number;
  return loadConfig({
    cwd: dataDir,
    overrides: {
      dataDir,
      logLevel: 'warn',
      mongodb: { database: 'kura-test' },
      // Every client of the local stack reaches Haraka from 127.0.0.1 (HAProxy's address): the per-IP
      // connection rate would count the drills, the canary and the tests as one client.
      smtp: { limits: { connectionsPerIp: '100000/1m', ...limits } },
      ports: {
        smtp: next(),
        imap: next(),
        imaps: next(),
        pop3: next(),
        pop3s: next(),
        api: next(),
        mongodb: next(),
        redis: next(),
        rspamd: next(),
        smtpMetrics: next(),
        submission: next(),
        submissions: next(),
        submissionMetrics: next(),
        selfService: next(),
        webmail: next(),
      },
      trust: testTrust(),
      ...(security ? { security } : {}),
      ha: {
        wildduck: [
          { imap: next(), imaps: next(), pop3: next(), pop3Stls: next(), api: next(), health: next() },
          { imap: next(), imaps: next(), pop3: next(), pop3Stls: next(), api: next(), health: next() },
        ],
        haraka: [
          { smtp: next(), health: next(), metrics: next() },
          { smtp: next(), health: next(), metrics: next() },
        ],
        submission: [
          { submission: next(), submissions: next(), health: next(), metrics: next() },
          { submission: next(), submissions: next(), health: next(), metrics: next() },
        ],
        redisReplica: next(),
        sentinels: [next(), next(), next()],
        haproxy: { stats: next() },
      },
      guard: {
        port: next(),
        probeIntervalMs: 1_000,
        probeTimeoutMs: 2_000,
        canaryIntervalMs: 2_000,
        canaryAlertMs: 10_000,
        ...guard,
      },
    },
  });
}

export interface HaTestStack {
  config: KuraConfig;
  stack: RunningStack;
  guardUrl: string;
  /** kill -9 one service of the stack, as a crash would. */
  kill(name: string): Promise<void>;
  /** Starts a killed service again (waits until it answers). */
  revive(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startHaTestStack(config: KuraConfig): Promise<HaTestStack> {
  // Drills hold a killed instance down (`kura drill --kill 'kill -9 …'` included) to measure failover;
  // the supervisor's automatic restart would end the hold early. Restarts have their own test.
  let stack: RunningStack;
  try {
    stack = await startStack(config, { ha: true, restart: false });
  } catch (err) {
    // Another test's listener can still take one of these ports between the check and the bind: one more try elsewhere.
    if (!/already in use/.test((err as Error).message)) throw err;
    config = await haTestConfig(config.dataDir, ...(made.get(config) ?? []));
    stack = await startStack(config, { ha: true, restart: false });
  }
  const specs = new Map(haServices(stack.config).map((s) => [s.name, s]));
  return {
    config: stack.config,
    stack,
    guardUrl: `http://${internalHost(config)}:${config.guard.port}/`,
    kill: (name) => stack.supervisor.stopService(name, 'SIGKILL'),
    async revive(name) {
      const spec = specs.get(name);
      if (!spec) throw new Error(`no service ${name} in the HA stack`);
      await stack.supervisor.start(spec);
    },
    stop: () => stack.stop(),
  };
}

export interface GuardStatus {
  overall: string;
  components: Array<{ id: string; status: string; detail: string; since: number }>;
  incidents: Array<{ id: number; component: string; title: string; startedAt: number; resolvedAt?: number }>;
  failoverActions: unknown[];
}

export async function guardStatus(stack: HaTestStack): Promise<GuardStatus> {
  const res = await fetch(new URL('status.json', stack.guardUrl), { signal: AbortSignal.timeout(3_000) });
  return (await res.json()) as GuardStatus;
}

/** Polls the guard until `predicate` holds; returns how long that took. */
export async function waitForGuard(stack: HaTestStack, predicate: (s: GuardStatus) => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: GuardStatus | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await guardStatus(stack).catch(() => undefined);
    if (last && predicate(last)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`guard status did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last?.components)}`);
}

export const componentStatus = (s: GuardStatus, id: string) => s.components.find((c) => c.id === id)?.status;

/** Last lines of one service's log, for failure messages. */
export function logTail(config: KuraConfig, service: string, lines = 30): string {
  try {
    return fs
      .readFileSync(path.join(config.paths.logs, `${service}.log`), 'utf8')
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}
