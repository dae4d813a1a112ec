import type { Db } from 'mongodb';

/**
 * The collections of WildDuck's mail store that a snapshot holds, in the order
 * they are written. Order matters on a data tier without point-in-time reads
 * (see docs/operations.md): WildDuck writes an attachment before the message
 * that references it, and GridFS writes chunks before the file document, so
 * reading messages before attachments.files, and files before chunks, never
 * yields a message whose attachment bytes are missing.
 */
export const SNAPSHOT_ORDER = [
  // system-wide settings and routing
  'settings',
  'domainaliases',
  'domainaccess',
  'dkim',
  'certs',
  'bimi',
  'webhooks',
  // accounts
  'users',
  'deletedusers',
  'addresses',
  'asps',
  'mcptokens',
  'filters',
  'autoreplies',
  'addressregister',
  'audits',
  // mail
  'mailboxes',
  'threads',
  'messages',
  'archived',
  // GridFS buckets: files before chunks
  'storage.files',
  'storage.chunks',
  'audit.files',
  'audit.chunks',
  'attachments.files',
  'attachments.chunks',
] as const;

/**
 * Left out on purpose: `journal` (IMAP change notifications for sessions that
 * are connected now; replaying them after a restore would be wrong), `authlog`
 * (login history with a TTL), `tasks` (WildDuck's background job queue: jobs
 * for the pre-restore state must not run again) and `domaincache` (a cache).
 */
export const SKIPPED = new Set(['journal', 'authlog', 'tasks', 'domaincache']);

/** Collections in the order they go into a snapshot: the known ones that exist, then any unknown one (before mail). */
export async function snapshotCollections(db: Db): Promise<string[]> {
  const existing = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name as string);
  const present = new Set(existing);
  const known = new Set<string>(SNAPSHOT_ORDER);
  const extra = existing.filter((name) => !known.has(name) && !SKIPPED.has(name) && !name.startsWith('system.')).sort();
  const ordered: string[] = [];
  for (const name of SNAPSHOT_ORDER) {
    if (name === 'mailboxes') ordered.push(...extra);
    if (present.has(name)) ordered.push(name);
  }
  return ordered;
}

/** Documents per server batch: big documents in small batches so one batch stays a few MB. */
export function batchSizeFor(collection: string): number {
  if (collection.endsWith('.chunks')) return 16;
  if (collection === 'messages' || collection === 'archived') return 100;
  return 1000;
}
