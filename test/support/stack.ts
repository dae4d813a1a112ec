import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, type RunningStack, startStack } from '@kura/cli';

export { freePorts };

import { type KuraConfig, type KuraConfigInput, loadConfig } from '@kura/config';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll } from 'vitest';

/** Shared by the test stacks' rspamd instances (see trust.rspamd.cacheDir). */
const RSPAMD_CACHE = path.resolve(import.meta.dirname, '../../.kura/cache/rspamd');

/** The trust settings of every test stack, under the test's own. */
export function testTrust(own: KuraConfigInput['trust'] = {}): KuraConfigInput['trust'] {
  return {
    // Tests never ask the machine's resolvers: nothing answers on this port, so lookups fail at once (temperror).
    dnsServers: ['127.0.0.1:1'],
    ...own,
    // One compiled-pattern cache for every test stack: only the first rspamd start of a machine is slow.
    rspamd: { cacheDir: RSPAMD_CACHE, ...own?.rspamd },
  };
}

/** Whether a process with this pid exists (signal 0 checks without touching it). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function tempDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kura-${label}-`));
}

/** A Kura config for tests: its own data dir and free ports, nothing shared with a running `npm start`. */
export async function testConfig(dataDir: string, overrides: KuraConfigInput = {}): Promise<KuraConfig> {
  if (!process.env.KURA_FERRETDB_BIN && !process.env.MONGODB_URI) {
    throw new Error('KURA_FERRETDB_BIN is not set: run the tests with `npm test`, which builds the data tier');
  }
  // Every port the config knows about, so new services never collide with a parallel test.
  const names = Object.keys(loadConfig({ cwd: dataDir, env: {} }).ports);
  const free = await freePorts(names.length);
  const ports = Object.fromEntries(names.map((name, i) => [name, free[i]]));
  const fileLevel: KuraConfigInput = {
    logLevel: (process.env.KURA_TEST_LOG_LEVEL as KuraConfigInput['logLevel']) ?? 'warn',
    ...overrides,
    trust: testTrust(overrides.trust),
    dataDir,
    ports: ports as KuraConfigInput['ports'],
    mongodb: { database: 'kura-test' },
  };
  const config = loadConfig({ cwd: dataDir, overrides: fileLevel });
  // Written out so that CLI commands run by tests (`kura top --config …`) see the same stack.
  fs.writeFileSync(path.join(dataDir, 'kura.config.json'), JSON.stringify(fileLevel, null, 2));
  return config;
}

export interface TestStack {
  config: KuraConfig;
  stack: RunningStack;
  stop(): Promise<void>;
}

export async function startTestStack(config: KuraConfig): Promise<TestStack> {
  const stack = await startStack(config);
  return { config, stack, stop: () => stack.stop() };
}

/**
 * One stack for the calling test file: started before its tests (on free
 * ports, in its own temp dir), stopped and removed after them, even when a
 * test fails. `overrides` may depend on the data dir (e.g. a scanner script
 * written there). KEEPDATA=1 keeps the data dir for a post-mortem.
 */
export function useTestStack(label: string, overrides: KuraConfigInput | ((dataDir: string) => KuraConfigInput) = {}): () => TestStack {
  let running: TestStack | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = tempDataDir(label);
    const extra = typeof overrides === 'function' ? overrides(dataDir) : overrides;
    running = await startTestStack(await testConfig(dataDir, extra));
  }, 180_000);
  afterAll(async () => {
    await running?.stop();
    if (dataDir && !process.env.KEEPDATA) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!running) throw new Error(`the ${label} test stack did not start`);
    return running;
  };
}

/** An account a test created for itself, so no other test's mail or counters reach its mailbox. */
export interface TestUser {
  id: string;
  username: string;
  password: string;
  address: string;
}

/**
 * Creates a fresh account through WildDuck's API, as an operator would. The
 * name carries `label` (for post-mortems) and a random part (so a rerun of the
 * same test never finds the previous run's mail).
 */
export async function newUser(config: KuraConfig, label: string, extra: Record<string, unknown> = {}): Promise<TestUser> {
  const username = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${crypto.randomBytes(4).toString('hex')}`;
  const password = `${username}-password`;
  const address = `${username}@${config.demo.domain}`;
  const res = await fetch(`http://${config.host}:${config.ports.api}/users`, {
    method: 'POST',
    // Not reused later: the API closes idle connections, and one it closes just as a request reuses it fails that request.
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ username, password, address, ...extra }),
  });
  const json = (await res.json()) as { success?: boolean; id?: string; error?: string };
  if (!json.success || !json.id) throw new Error(`creating test user ${username}: ${json.error ?? res.status}`);
  return { id: json.id, username, password, address };
}

/** Runs `work` with a logged-in imapflow client of the test's own `user` (from `newUser()`) and always logs out. */
export async function withImap<T>(config: KuraConfig, work: (client: ImapFlow) => Promise<T>, user: TestUser): Promise<T> {
  const client = new ImapFlow({
    host: config.host,
    port: config.ports.imap,
    secure: false,
    auth: { user: user.username, pass: user.password },
    logger: false,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Full source of every INBOX message, in UID order. */
export async function inboxSources(
  config: KuraConfig,
  user: TestUser,
): Promise<Array<{ uid: number; source: Buffer; size: number; flags: Set<string>; internalDate: Date }>> {
  return withImap(
    config,
    async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const out = [];
        if ((client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0) === 0) return [];
        for await (const msg of client.fetch('1:*', { uid: true, source: true, size: true, flags: true, internalDate: true })) {
          out.push({
            uid: msg.uid,
            source: msg.source as Buffer,
            size: msg.size as number,
            flags: msg.flags as Set<string>,
            internalDate: msg.internalDate as Date,
          });
        }
        return out.sort((a, b) => a.uid - b.uid);
      } finally {
        lock.release();
      }
    },
    user,
  );
}

/** Splits a stored message into the trace headers the MX added on top and the rest. */
export function splitTrace(stored: Buffer, sent: Buffer): { trace: string; rest: Buffer } {
  const rest = stored.subarray(stored.length - sent.length);
  const trace = stored.subarray(0, stored.length - sent.length).toString('latin1');
  return { trace, rest };
}

/** WildDuck's API of a test stack (loopback, no token): the JSON answer, or an error naming the call. */
export function wildduckApi(config: KuraConfig) {
  return async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
    // A fresh connection per call: a pooled one that the API's keep-alive timer closed fails the next request.
    const res = await fetch(`http://${config.host}:${config.ports.api}${url}`, {
      method,
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!json.success) throw new Error(`${method} ${url}: ${JSON.stringify(json)}`);
    return json;
  };
}
