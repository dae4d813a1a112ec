import { createRequire } from 'node:module';
import { type Db, MongoClient } from 'mongodb';
import { installFerretDbCompat } from './ferretdb-compat.js';
import { isLocalTier } from './local-tier-indexes.js';

/** What kind of server answers: it decides which read consistency a reader can ask for. */
export type Topology = 'replicaSet' | 'standalone' | 'ferretdb' | 'sharded';

/** A MongoDB connection without Redis or WildDuck's handlers (snapshots, maintenance tools). */
export interface Database {
  client: MongoClient;
  db: Db;
  topology: Topology;
  close(): Promise<void>;
}

/**
 * Opens the mail store's database only. Installs the FerretDB adapter exactly
 * as openStore does, so documents read here are the ones WildDuck sees.
 */
export async function openDatabase(uri: string, options: { serverSelectionTimeoutMs?: number; appName?: string } = {}): Promise<Database> {
  const client = new MongoClient(uri, {
    writeConcern: { w: 'majority', journal: true },
    retryWrites: true,
    retryReads: true,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5_000,
    connectTimeoutMS: 5_000,
    appName: options.appName ?? 'kura',
  });
  await client.connect();
  try {
    const topology = await detectTopology(client);
    if (topology === 'ferretdb') installFerretDbCompat(createRequire(import.meta.url));
    return { client, db: client.db(), topology, close: () => client.close() };
  } catch (err) {
    await client.close();
    throw err;
  }
}

export async function detectTopology(client: MongoClient): Promise<Topology> {
  if (await isLocalTier(client.db())) return 'ferretdb';
  const admin = client.db().admin();
  const hello = await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }));
  if (hello.msg === 'isdbgrid') return 'sharded';
  if (typeof hello.setName === 'string') return 'replicaSet';
  return 'standalone';
}
