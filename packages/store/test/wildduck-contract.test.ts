import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wildDuckIndexes } from '../src/indexes.js';
import { createHandlers, createMailboxHandler, handlerConnections } from '../src/wildduck.js';

/**
 * The contract between Kura and the pinned WildDuck's library internals (its
 * handlers are not a public API). A WildDuck upgrade that renames or reshapes
 * any of these fails here, loudly, before it fails in production.
 */
const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve('@zone-eu/wildduck/package.json'));
// The handlers keep a database reference only; WildDuck's lock subscribes on a
// Redis connection of its own at construction, so a real (throwaway) Redis serves it.
const db = { collection: () => ({}) } as unknown as Db;
let server: ChildProcess;
let redis: Redis;
let handlers: ReturnType<typeof createHandlers>;

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis = new Redis({ host: '127.0.0.1', port, retryStrategy: (times) => (times > 50 ? null : 100) });
  redis.on('error', () => {}); // refused until redis-server listens; ping below fails if it never does
  await redis.ping();
  handlers = createHandlers(db, redis);
});

afterAll(async () => {
  for (const connection of handlers ? handlerConnections(handlers.messages) : []) await connection.quit();
  await redis?.quit();
  server?.kill();
});

describe('WildDuck internals Kura relies on', () => {
  it('is the pinned version', () => {
    const pkg = require(path.join(root, 'package.json')) as { version: string };
    expect(pkg.version).toBe('1.51.1');
  });

  it('message handler: storing, the indexer and its own Redis subscriber', () => {
    const { messages } = handlers;
    expect(typeof messages.addAsync).toBe('function');
    expect(typeof messages.indexer.rebuild).toBe('function');
    expect(typeof messages.indexer.parseMimeTree).toBe('function');
    expect(messages.notifier).toBeTruthy();
    // Closing the store also closes this connection; without it a CLI command never exits.
    expect(handlerConnections(messages)).toHaveLength(1);
    expect(typeof handlerConnections(messages)[0]?.quit).toBe('function');
  });

  it('user handler: resolve, create, update, delete, authenticate', () => {
    const { users } = handlers;
    for (const method of ['asyncResolveAddress', 'create', 'update', 'delete', 'asyncAuthenticate'] as const) {
      expect(typeof users[method], method).toBe('function');
    }
  });

  it('settings and mailbox handlers', () => {
    const { messages, settings } = handlers;
    expect(typeof settings.get).toBe('function');
    expect(typeof createMailboxHandler(db, redis, messages, settings).createAsync).toBe('function');
  });

  it('schema version and index list the snapshot format and the data tier read', () => {
    const consts = require(path.join(root, 'lib/consts.js')) as { SCHEMA_VERSION?: unknown };
    expect(typeof consts.SCHEMA_VERSION).toBe('string');
    const messageIndexes = wildDuckIndexes().filter((spec) => spec.collection === 'messages');
    // SELECT's listing and FETCH by UID depend on this index (test/data-tier/query-plans.test.ts).
    expect(messageIndexes.map((spec) => spec.index.key)).toContainEqual({ mailbox: 1, uid: 1, _id: 1 });
  });

  it("IMAP's indexer module the corpus tests drive directly", () => {
    const Indexer = require(path.join(root, 'imap-core/lib/indexer/indexer.js')) as new () => { parseMimeTree(raw: Buffer): unknown };
    const tree = new Indexer().parseMimeTree(Buffer.from('Subject: x\r\n\r\nbody\r\n')) as { header?: unknown };
    expect(Array.isArray(tree.header)).toBe(true);
  });
});
