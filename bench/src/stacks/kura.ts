import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { startStack } from '@kura/cli';
import { loadConfig } from '@kura/config';
import { deliverToInbox, ensureLocalTierIndexes, ensureUser, LOCAL_TIER_INDEXES, openStore } from '@kura/store';
import { freePorts } from '../net.ts';
import { processTree } from '../procs.ts';
import { cloneMessages } from './kura-clone.ts';
import type { BenchTarget, BenchUser, FillMessage } from './target.ts';

const PASSWORD = 'bench-password';
const RSPAMD_CACHE = path.resolve(import.meta.dirname, '..', '..', '..', '.kura', 'cache', 'rspamd');

/** WildDuck's handlers log through npmlog in this process too (user creation, fill); the bench's output is its own. */
function quietWildDuckLog() {
  const require = createRequire(import.meta.url);
  const fromWildDuck = createRequire(require.resolve('@zone-eu/wildduck/package.json', { paths: [require.resolve('@kura/store')] }));
  (fromWildDuck('npmlog') as { level: string }).level = 'silent';
}
/**
 * One at a time: concurrent deliveries into one mailbox on the local data tier
 * (FerretDB 1.24) were seen to hand out the same UID twice, which would leave
 * the read mailbox short of messages.
 */
const FILL_CONCURRENCY = 1;

export interface KuraStackOptions {
  say?: (line: string) => void;
  /** Extra NODE_OPTIONS for the Node services (WildDuck, Haraka), e.g. an inspector for profiles. */
  nodeOptions?: string;
  /** Keep the data in this directory (created if missing) and leave it on stop, so a store built once can be read again. */
  dataDir?: string;
}

/**
 * Kura's local stack (FerretDB, Redis, WildDuck, Haraka) in its own temporary
 * data directory on free loopback ports. Per-client rate limits are switched
 * off, as the reference has none configured: the bench measures throughput,
 * not admission control.
 */
export interface KuraTarget extends BenchTarget {
  dataDir: string;
  logs: string;
  mongodbUri: string;
  /** Service name → pid (ferretdb, redis, wildduck, haraka). */
  services(): Record<string, number | undefined>;
}

export async function startKuraStack(options: KuraStackOptions = {}): Promise<KuraTarget> {
  if (!process.env.KURA_FERRETDB_BIN && !process.env.MONGODB_URI) {
    throw new Error('KURA_FERRETDB_BIN is not set: run the bench with `npm run bench`, which builds the data tier first');
  }
  quietWildDuckLog();
  const keep = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const names = Object.keys(loadConfig({ cwd: dataDir, env: {} }).ports);
  const free = await freePorts(names.length);
  // The environment still applies (MONGODB_URI / REDIS_URL select external tiers), but no config file.
  const { KURA_CONFIG: _ignored, ...env } = process.env;
  const config = loadConfig({
    cwd: dataDir,
    env,
    overrides: {
      dataDir,
      logLevel: 'warn',
      ports: Object.fromEntries(names.map((name, i) => [name, free[i]])) as Record<string, number>,
      mongodb: { database: 'kura-bench' },
      smtp: {
        limits: {
          concurrentConnectionsPerIp: 0,
          connectionsPerIp: '0',
          recipientsPerIp: '0',
          recipientsPerSender: '0',
          messagesPerRecipient: '0',
        },
        repeatThreshold: 1_000_000,
      },
      // rspamd stays the scanner, as by default; its compiled patterns are reused from the checkout's cache
      // (as the test stacks do), so a bench run does not spend its first minutes compiling them.
      trust: { rspamd: { cacheDir: RSPAMD_CACHE } },
    },
  });
  const savedNodeOptions = process.env.NODE_OPTIONS;
  if (options.nodeOptions) process.env.NODE_OPTIONS = [savedNodeOptions, options.nodeOptions].filter(Boolean).join(' ');
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack(config, { say: (line) => options.say?.(`kura: ${line}`) });
  } finally {
    if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = savedNodeOptions;
  }
  const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl }).catch(async (err) => {
    await stack.stop();
    throw err;
  });
  const ids = new Map<string, Awaited<ReturnType<typeof ensureUser>>['id']>();
  return {
    name: 'kura',
    host: config.host,
    ports: { smtp: config.ports.smtp, imap: config.ports.imap, pop3: config.ports.pop3 },
    dataDir,
    logs: config.paths.logs,
    mongodbUri: config.mongodbUri,
    async user(name): Promise<BenchUser> {
      const address = `${name}@${config.demo.domain}`;
      const { id } = await ensureUser(store, { username: name, password: PASSWORD, address, quota: 1024 ** 4 });
      ids.set(name, id);
      // WildDuck lists only the newest 250 messages over POP3 unless the user says otherwise.
      await store.db.collection('users').updateOne({ _id: id }, { $set: { pop3MaxMessages: 1_000_000 } });
      await store.redis.del(`cached:${id}`);
      return { address, login: name, password: PASSWORD };
    },
    /** Stores through the same message handler the inbound MX uses, without SMTP in front. */
    async fill(user, messages: FillMessage[]) {
      const userId = ids.get(user.login);
      if (!userId) throw new Error(`unknown bench user ${user.login}`);
      let next = 0;
      const worker = async () => {
        while (next < messages.length) {
          const message = messages[next++] as FillMessage;
          await deliverToInbox(store, {
            userId,
            raw: message.raw,
            envelopeFrom: 'registry@campus.example',
            recipient: user.address,
            queueId: `fill-${next}`,
            timeoutMs: 120_000,
          });
        }
      };
      await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
    },
    async clone(user, count, source) {
      await cloneMessages(store, idOf(ids, user), count, idOf(ids, source));
    },
    async bulkLoad(work) {
      const messages = store.db.collection('messages');
      for (const { index } of LOCAL_TIER_INDEXES) {
        await messages.dropIndex(index.name).catch((err: { codeName?: string }) => {
          if (err.codeName !== 'IndexNotFound') throw err;
        });
      }
      try {
        await work();
      } finally {
        const t = Date.now();
        await ensureLocalTierIndexes(store.db);
        options.say?.(`kura: built the local tier's read indexes in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      }
    },
    services: () => stack.supervisor.pids,
    serverPids() {
      return Object.values(stack.supervisor.pids).flatMap((pid) => (pid ? processTree(pid) : []));
    },
    async stop() {
      await store.close().catch(() => undefined);
      await stack.stop();
      if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function idOf<T>(ids: Map<string, T>, user: BenchUser): T {
  const id = ids.get(user.login);
  if (!id) throw new Error(`unknown bench user ${user.login}`);
  return id;
}
