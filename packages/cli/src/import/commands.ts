import path from 'node:path';
import {
  findAccount,
  ImportInterrupted,
  importUser,
  inParallel,
  isImapUrl,
  type MappingRow,
  planImport,
  QuotaExceeded,
  quotaExceeded,
  readMapping,
  type SourceOptions,
  scanSource,
  type UserImportResult,
  type UserVerification,
  verifyUser,
} from '@kura/migrate';
import type { Store } from '@kura/store';
import { mb, openConfiguredStore } from '../admin/open-store.js';
import { CliError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';
import { createOutput, type Output, type Progress } from '../snapshot/progress.js';
import { describeImport, describeVerification } from './report.js';

export interface ImportOptions {
  config?: string;
  user?: string;
  map?: string;
  sourceTemplate?: string;
  format?: 'auto' | 'maildir' | 'mbox';
  mboxQuoting?: 'mboxrd' | 'mboxo';
  maildirDate?: 'mtime' | 'filename';
  parallel?: string;
  dryRun?: boolean;
  allowOverQuota?: boolean;
  setAside?: string;
  verify?: boolean;
  json?: boolean;
}

/** The users to work on: one (source + --user) or a whole mapping (--map). */
function plan(source: string | undefined, options: ImportOptions): MappingRow[] {
  if (options.map) {
    if (source || options.user) throw new CliError('give either a SOURCE with --user, or --map FILE, not both');
    return readMapping(options.map, options.sourceTemplate);
  }
  if (!source || !options.user)
    throw new CliError(
      'name the source and the Kura user: kura import /var/vmail/example.edu/alice/Maildir --user alice (or --map users.csv)',
    );
  return [{ login: options.user, user: options.user, source: isImapUrl(source) ? source : path.resolve(source) }];
}

function sourceOptions(options: ImportOptions): SourceOptions {
  return {
    format: options.format ?? 'auto',
    mboxQuoting: options.mboxQuoting,
    maildirDate: options.maildirDate,
    imapPassword: process.env.KURA_IMAP_PASSWORD,
  };
}

function parallelism(options: ImportOptions): number {
  const n = Number(options.parallel ?? 2);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CliError(`--parallel must be a whole number from 1 to 64, not "${options.parallel}"`);
  return n;
}

/** A shared progress total across users running in parallel. */
function tracker(out: Output, phase: string, users: number, totals: { messages: number; bytes: number }) {
  const p: Progress = {
    phase,
    collection: '',
    bytes: 0,
    totalBytes: totals.bytes,
    messages: 0,
    totalMessages: totals.messages,
    startedAt: Date.now(),
  };
  let finished = 0;
  const show = () => out.progress({ ...p, collection: `${finished}/${users} users` });
  return {
    step(s: { messages: number; bytes: number }) {
      p.messages += s.messages;
      p.bytes += s.bytes;
      show();
    },
    userDone() {
      finished++;
      show();
    },
  };
}

export async function importRun(source: string | undefined, options: ImportOptions): Promise<void> {
  const rows = plan(source, options);
  const parallel = parallelism(options);
  const out = createOutput({ json: options.json });
  const { config, store } = await openConfiguredStore(options);
  const interrupt = interruptSignal();
  const setAsideDir = path.resolve(options.setAside ?? path.join(config.dataDir, 'import-set-aside'));
  let failed = 0;
  let interrupted = false;
  try {
    // Every user's quota is checked before the first message is written.
    const totals = { messages: 0, bytes: 0 };
    const blocked = new Set<string>();
    await inParallel(rows, parallel, async (row) => {
      try {
        const scanned = await scanSource(row.source, sourceOptions(options));
        await scanned.close();
        const account = await findAccount(store, row.user);
        const { quota } = await planImport(store, account, scanned);
        totals.messages += scanned.messages;
        totals.bytes += scanned.bytes;
        out.event(
          'quota',
          { user: account.username, source: row.source, messages: scanned.messages, bytes: scanned.bytes, ...quota },
          `${account.username}: ${scanned.messages} messages, ${mb(scanned.bytes)} in ${scanned.folders.length} folders; ${mb(quota.needed)} to import, quota ${quota.quota ? `${mb(quota.storageUsed)} of ${mb(quota.quota)} used` : 'unlimited'}${quota.fits ? '' : ' — DOES NOT FIT'}`,
        );
        if (!quota.fits && !options.allowOverQuota && !options.dryRun) throw quotaExceeded(account, quota);
      } catch (err) {
        blocked.add(row.user);
        failed++;
        reportFailure(out, row, err);
      }
    });

    const progress = tracker(out, options.dryRun ? 'dry-run' : 'import', rows.length - blocked.size, totals);
    const results = await inParallel(
      rows.filter((row) => !blocked.has(row.user)),
      parallel,
      async (row) => {
        if (interrupt.signal.aborted) {
          interrupted = true;
          return undefined;
        }
        try {
          const result = await importUser(store, {
            user: row.user,
            source: row.source,
            sourceOptions: sourceOptions(options),
            dryRun: options.dryRun,
            allowOverQuota: options.allowOverQuota,
            setAsideDir,
            signal: interrupt.signal,
            onProgress: (s) => progress.step(s),
          });
          progress.userDone();
          out.event('imported', { ...result }, describeImport(result));
          if (result.setAside.length) failed++;
          return { row, result };
        } catch (err) {
          // Every worker sees the same signal and stops at its next message; report once all have.
          if (err instanceof ImportInterrupted) {
            interrupted = true;
            return undefined;
          }
          failed++;
          reportFailure(out, row, err);
          return undefined;
        }
      },
    );

    if (interrupted || interrupt.signal.aborted) {
      out.event('interrupted', {}, 'import interrupted: what was stored stays; run the same command again to continue');
      process.exitCode = 130;
      return;
    }
    // Verification only reads: from here Ctrl-C ends the process at once.
    interrupt.dispose();
    if (!options.dryRun && options.verify !== false) {
      const done = results.filter((r): r is { row: MappingRow; result: UserImportResult } => Boolean(r));
      failed += await verifyRows(
        store,
        out,
        done.map((r) => r.row),
        parallel,
        options,
      );
    }
  } finally {
    interrupt.dispose();
    out.stop();
    await store.close();
  }
  if (failed) process.exitCode = 1;
}

export async function importVerify(source: string | undefined, options: ImportOptions): Promise<void> {
  const rows = plan(source, options);
  const parallel = parallelism(options);
  const out = createOutput({ json: options.json });
  const { store } = await openConfiguredStore(options);
  try {
    if (await verifyRows(store, out, rows, parallel, options)) process.exitCode = 1;
  } finally {
    out.stop();
    await store.close();
  }
}

/** Verifies each row; returns how many users did not verify. */
async function verifyRows(store: Store, out: Output, rows: MappingRow[], parallel: number, options: ImportOptions): Promise<number> {
  let bad = 0;
  const scanned = new Map<string, Awaited<ReturnType<typeof scanSource>>>();
  const totals = { messages: 0, bytes: 0 };
  for (const row of rows) {
    try {
      const s = await scanSource(row.source, sourceOptions(options));
      totals.messages += s.messages;
      totals.bytes += s.bytes;
      scanned.set(row.user, s);
    } catch (err) {
      bad++;
      reportFailure(out, row, err);
    }
  }
  const progress = tracker(out, 'verify', scanned.size, totals);
  await inParallel(
    rows.filter((row) => scanned.has(row.user)),
    parallel,
    async (row) => {
      try {
        const report: UserVerification = await verifyUser(
          store,
          { user: row.user, source: row.source, onProgress: (s) => progress.step(s) },
          scanned.get(row.user),
        );
        progress.userDone();
        out.event('verified', { ...report }, describeVerification(report));
        if (!report.ok) bad++;
      } catch (err) {
        bad++;
        reportFailure(out, row, err);
      } finally {
        await scanned.get(row.user)?.close();
      }
    },
  );
  return bad;
}

function reportFailure(out: Output, row: MappingRow, err: unknown): void {
  const message = (err as Error).message;
  const fix =
    err instanceof QuotaExceeded
      ? 'raise the quota (kura user quota NAME SIZE) or pass --allow-over-quota'
      : (err as Error).name === 'AccountNotFound'
        ? `create the user first: kura user add ${row.user} --password ... --address ...`
        : undefined;
  out.event(
    'failed',
    { user: row.user, source: row.source, error: message, ...(fix ? { fix } : {}) },
    `${row.user}: FAILED: ${message}${fix ? `\n      fix: ${fix}` : ''}`,
  );
}
