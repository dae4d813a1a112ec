import { createRequire } from 'node:module';
import { redisConnectionOptions } from '@kura/config';
import { Redis, type RedisOptions } from 'ioredis';
import { type Db, MongoClient } from 'mongodb';
import { installFerretDbCompat } from './ferretdb-compat.js';
import { isLocalTier } from './local-tier-indexes.js';
import {
  createHandlers,
  handlerConnections,
  type WildDuckMessageHandler,
  type WildDuckSettingsHandler,
  type WildDuckUserHandler,
} from './wildduck.js';

export interface StoreOptions {
  mongodbUri: string;
  redisUrl: string;
  /** How long to wait for a usable data tier before an operation fails (and mail is temp-failed). */
  serverSelectionTimeoutMs?: number;
  /** Connection trouble that the clients retry by themselves (Redis reconnects, for one). */
  onConnectionError?: (tier: 'redis', err: Error) => void;
  /** WildDuck's `dkim.secret`, when its DKIM API encrypts keys (default: KURA_DKIM_SECRET from the environment). */
  dkimSecret?: string;
}

/** Open connections to the mail store plus WildDuck's handlers on top of them. */
export interface Store {
  client: MongoClient;
  db: Db;
  redis: Redis;
  messages: WildDuckMessageHandler;
  users: WildDuckUserHandler;
  /** WildDuck's settings (defaults such as the quota of users without one of their own). */
  settings: WildDuckSettingsHandler;
  /** Decrypts DKIM keys WildDuck stored encrypted; unset when keys are kept in clear text. */
  dkimSecret?: string;
  close(): Promise<void>;
}

/**
 * After QUIT, a command WildDuck's handlers fire without awaiting it (a cache
 * update, an event published once a write returned) would be rejected with
 * "Connection is closed." and nobody listening: an unhandled rejection in
 * whatever process closed its store. The owner is done with the store, so from
 * now on a failing command answers nothing (null) instead of rejecting. Commands
 * are still sent as before (QUIT itself, and whatever ioredis flushes while it
 * connects), so the connection closes as it would.
 */
function settleLaterCommands(connection: Redis): void {
  type Send = (command: unknown, stream?: unknown) => Promise<unknown>;
  const target = connection as unknown as { sendCommand: Send };
  const send = target.sendCommand.bind(connection);
  target.sendCommand = (command, stream) => send(command, stream).catch(() => null);
  // Commands already waiting (the lock's SUBSCRIBE of a connection still connecting) are rejected the same
  // way when the socket closes; their callers keep their answer, the rejection just is not unhandled.
  type Queued = { toArray(): Array<{ command?: { promise?: Promise<unknown> } }> };
  const queues = connection as unknown as { offlineQueue?: Queued; commandQueue?: Queued };
  for (const queue of [queues.offlineQueue, queues.commandQueue]) {
    for (const item of queue?.toArray() ?? []) item.command?.promise?.catch(() => {});
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  // Every acknowledged write waits for a journaled majority: on a replica set
  // that is what makes "250 OK" survive the loss of the primary.
  const client = new MongoClient(options.mongodbUri, {
    writeConcern: { w: 'majority', journal: true },
    retryWrites: true,
    retryReads: true,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5_000,
    connectTimeoutMS: 5_000,
    appName: 'kura',
  });
  await client.connect();
  if (await isLocalTier(client.db())) installFerretDbCompat(createRequire(import.meta.url));
  const redis = connectRedis(options.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    connectTimeout: 5_000,
  });
  // ioredis reconnects by itself; without a listener each attempt would print "Unhandled error event".
  redis.on('error', (err: Error) => options.onConnectionError?.('redis', err));
  try {
    await redis.connect();
  } catch (err) {
    await client.close();
    redis.disconnect();
    throw err;
  }
  const db = client.db();
  const { messages, users, settings } = createHandlers(db, redis);
  const extraConnections = handlerConnections(messages);
  for (const connection of extraConnections) connection.on('error', (err: Error) => options.onConnectionError?.('redis', err));
  return {
    client,
    db,
    redis,
    messages,
    users,
    settings,
    dkimSecret: options.dkimSecret || process.env.KURA_DKIM_SECRET || undefined,
    async close() {
      // QUIT lets commands WildDuck's handlers still have in flight (event publishing after
      // creating a user, for one) finish instead of failing them as "Connection is closed".
      const quitting = [...extraConnections, redis].map((connection) => {
        const done = connection.quit().catch(() => connection.disconnect());
        settleLaterCommands(connection);
        return done;
      });
      await Promise.all(quitting);
      await client.close();
    },
  };
}

/** Round-trips to both tiers; throws when either cannot answer. */
export async function pingStore(store: Store): Promise<void> {
  await store.db.command({ ping: 1 });
  await store.redis.ping();
}

/** One-shot check that a MongoDB-compatible server answers at `uri`. */
export async function pingDatabase(uri: string, timeoutMs = 2_000): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db().command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** A Redis client for a plain URL or a `redis+sentinel://` URL (then it follows Sentinel failovers). */
export function connectRedis(url: string, options: RedisOptions): Redis {
  const target = redisConnectionOptions(url);
  return typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...target });
}
