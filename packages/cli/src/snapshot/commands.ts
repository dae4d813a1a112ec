import fs from 'node:fs';
import path from 'node:path';
import { type KuraConfig, loadConfig, withSecurity } from '@kura/config';
import {
  checkCompatible,
  createSnapshot,
  findSnapshot,
  listSnapshots,
  type Notifier,
  pruneSnapshots,
  restoreFull,
  restorePartial,
  SnapshotError,
  verifyChecksums,
  verifySnapshot,
} from '@kura/snapshot';
import { type Database, ensureLocalTierIndexes, ensureWildDuckIndexes, openDatabase, openStore, type Store } from '@kura/store';
import Table from 'cli-table3';
import { interruptSignal } from '../interrupt.js';
import { createOutput, type Output } from './progress.js';

interface Common {
  config?: string;
  dest?: string;
  json?: boolean;
}

const MB = 1024 * 1024;

export function kuraVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

function destination(config: KuraConfig, options: Common): string {
  return options.dest ? path.resolve(options.dest) : config.paths.snapshots;
}

/** Turns "cannot reach the database" into an operator's sentence. */
async function connect<T>(what: string, uri: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError' || /ECONNREFUSED|connect/i.test((err as Error).message)) {
      throw new SnapshotError(
        `cannot reach the ${what} at ${redact(uri)}: ${(err as Error).message}`,
        'bad-path',
        'start the stack (npm start) or point MONGODB_URI / REDIS_URL at the running services',
        { cause: err },
      );
    }
    throw err;
  }
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

export async function snapshotCreate(options: Common & { prune?: boolean }): Promise<void> {
  const config = loadConfig({ file: options.config });
  const out = createOutput({ json: options.json });
  const dest = destination(config, options);
  const database: Database = await connect('mail store', config.mongodbUri, () =>
    openDatabase(config.mongodbUri, { appName: 'kura-snapshot' }),
  );
  const interrupt = interruptSignal();
  const started = Date.now();
  try {
    const result = await createSnapshot({
      database,
      dest,
      chunkBytes: config.snapshot.chunkBytes,
      kuraVersion: kuraVersion(),
      onProgress: (p) => out.progress(p),
      signal: interrupt.signal,
      chunkDelayMs: Number(process.env.KURA_SNAPSHOT_CHUNK_DELAY_MS) || undefined,
    });
    const seconds = (Date.now() - started) / 1000;
    const { totals, source } = result.manifest;
    out.event(
      'created',
      {
        id: result.id,
        dir: result.dir,
        ...totals,
        seconds,
        mbPerSec: totals.bytes / MB / seconds,
        messagesPerSec: totals.messages / seconds,
        consistency: source.consistency,
        clusterTime: source.clusterTime,
        cleaned: result.cleaned,
      },
      [
        `snapshot ${result.id} written to ${result.dir}`,
        `  ${totals.messages} messages, ${totals.documents} documents, ${mb(totals.bytes)} (${mb(totals.compressedBytes)} compressed) in ${seconds.toFixed(1)} s`,
        `  ${(totals.bytes / MB / seconds).toFixed(1)} MB/s, ${(totals.messages / seconds).toFixed(0)} messages/s; consistency: ${source.consistency === 'snapshot' ? `point in time (cluster time ${source.clusterTime?.t ?? '?'})` : 'none (local data tier, see docs/operations.md)'}`,
        ...(result.cleaned.length ? [`  removed leftovers of interrupted runs: ${result.cleaned.join(', ')}`] : []),
      ].join('\n'),
    );
    if (options.prune) reportPrune(out, pruneSnapshots(dest, config.snapshot.retention));
  } finally {
    interrupt.dispose();
    out.stop();
    await database.close();
  }
}

export async function snapshotList(options: Common): Promise<void> {
  const config = loadConfig({ file: options.config });
  const dest = destination(config, options);
  const snapshots = listSnapshots(dest);
  const out = createOutput({ json: options.json });
  if (!out.tty) {
    for (const s of snapshots) {
      out.event('snapshot', {
        id: s.id,
        dir: s.dir,
        createdAt: s.manifest.createdAt,
        finishedAt: s.manifest.finishedAt,
        ...s.manifest.totals,
        consistency: s.manifest.source.consistency,
      });
    }
    return;
  }
  if (!snapshots.length) {
    process.stdout.write(`no snapshots in ${dest} yet (kura snapshot create)\n`);
    return;
  }
  const table = new Table({ head: ['id', 'created (UTC)', 'messages', 'size', 'stored', 'consistency'] });
  for (const s of snapshots) {
    const m = s.manifest;
    table.push([
      s.id,
      m.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ''),
      m.totals.messages,
      mb(m.totals.bytes),
      mb(m.totals.compressedBytes),
      m.source.consistency,
    ]);
  }
  process.stdout.write(`${table.toString()}\n${dest}\n`);
}

export async function snapshotVerify(id: string, options: Common & { deep?: boolean }): Promise<void> {
  const config = loadConfig({ file: options.config });
  const snapshot = findSnapshot(destination(config, options), id);
  const out = createOutput({ json: options.json });
  let database: Database | undefined;
  try {
    if (options.deep)
      database = await connect('mail store', config.mongodbUri, () => openDatabase(config.mongodbUri, { appName: 'kura-snapshot' }));
    const report = await verifySnapshot(snapshot, {
      onProgress: (p) => out.progress(p),
      deep: database ? { client: database.client } : undefined,
    });
    const lines = report.ok
      ? [
          `snapshot ${report.id} is intact: ${report.chunks} chunks, ${report.documents} documents, ${mb(report.bytes)} checked${report.deep ? `; restored into scratch database ${report.deep.database}, counts and content hashes match (dropped again)` : ''}`,
        ]
      : [`snapshot ${report.id} is DAMAGED:`, ...report.problems.map((p) => `  ${p.where}: ${p.problem}`)];
    out.event('verified', { ...report }, lines.join('\n'));
    if (!report.ok) process.exitCode = 1;
  } finally {
    out.stop();
    await database?.close();
  }
}

export async function snapshotRestore(id: string, options: Common & { user?: string; mailbox?: string; force?: boolean }): Promise<void> {
  // Secured deployments: Redis credentials come from the secrets file.
  const config = withSecurity(loadConfig({ file: options.config }));
  if (options.mailbox && !options.user)
    throw new SnapshotError('--mailbox needs --user', 'bad-path', 'kura snapshot restore ID --user NAME --mailbox PATH');
  const snapshot = findSnapshot(destination(config, options), id);
  // Everything that can refuse the snapshot happens before the store is touched.
  checkCompatible(snapshot.manifest, snapshot.dir);
  await verifyChecksums(snapshot);
  const out = createOutput({ json: options.json });
  const store: Store = await connect('mail store', config.mongodbUri, () =>
    openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl }),
  );
  const notifier = (store.messages as unknown as { notifier?: Notifier }).notifier;
  try {
    if (options.user) {
      const report = await restorePartial({ db: store.db, redis: store.redis, notifier }, snapshot, {
        user: options.user,
        mailbox: options.mailbox,
        verifyFirst: false,
        onProgress: (p) => out.progress(p),
      });
      const lines = [
        `restored ${report.messages} messages (${mb(report.bytes)}) for ${report.user.username}${report.user.created ? ' (account re-created)' : ''} from ${snapshot.id} in ${report.seconds.toFixed(1)} s`,
        ...report.mailboxes.map(
          (m) =>
            `  ${m.path}: ${m.restored} restored, ${m.alreadyPresent} already there; mailbox ${m.state}, ${m.uids === 'preserved' ? `UIDVALIDITY ${m.uidValidity} and UIDs kept` : 'missing messages got new UIDs'}`,
        ),
        `  attachments: ${report.attachments.restored} restored, ${report.attachments.reused} shared with stored mail${report.attachments.missingFromSnapshot ? `, ${report.attachments.missingFromSnapshot} MISSING from the snapshot` : ''}`,
      ];
      out.event('restored', { snapshot: snapshot.id, ...report }, lines.join('\n'));
    } else {
      const report = await restoreFull({ db: store.db, redis: store.redis }, snapshot, {
        onProgress: (p) => out.progress(p),
        allowNonEmpty: options.force,
        verifyFirst: false,
        indexes: async (db, collections) => {
          const failed = await ensureWildDuckIndexes(db, collections);
          await ensureLocalTierIndexes(db);
          return failed;
        },
      });
      const lines = [
        `restored snapshot ${snapshot.id} into ${store.db.databaseName}: ${report.messages} messages, ${mb(report.bytes)} in ${report.seconds.toFixed(1)} s (${(report.bytes / MB / Math.max(report.seconds, 0.001)).toFixed(1)} MB/s, ${(report.messages / Math.max(report.seconds, 0.001)).toFixed(0)} messages/s)`,
        `  repaired: ${report.repaired.mailboxes} mailbox UID counters, ${report.repaired.attachments} attachment reference counts, ${report.repaired.users} storage counters`,
        ...(report.indexFailures.length ? [`  indexes the server could not build: ${report.indexFailures.join(', ')}`] : []),
      ];
      out.event('restored', { snapshot: snapshot.id, ...report }, lines.join('\n'));
    }
  } finally {
    out.stop();
    await store.close();
  }
}

export async function snapshotPrune(options: Common & { dryRun?: boolean }): Promise<void> {
  const config = loadConfig({ file: options.config });
  const out = createOutput({ json: options.json });
  reportPrune(out, pruneSnapshots(destination(config, options), config.snapshot.retention, { dryRun: options.dryRun }), options.dryRun);
}

function reportPrune(out: Output, result: ReturnType<typeof pruneSnapshots>, dryRun = false): void {
  const verb = dryRun ? 'would delete' : 'deleted';
  out.event(
    'pruned',
    { dryRun, ...result },
    [
      result.pruned.length ? `${verb} ${result.pruned.length} snapshot(s): ${result.pruned.join(', ')}` : 'nothing to prune',
      ...result.kept.map((k) => `  keep ${k.id} (${k.reasons.join(', ')})`),
    ].join('\n'),
  );
}
