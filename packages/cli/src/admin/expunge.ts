import { CliError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';
import { createOutput } from '../snapshot/progress.js';
import type { WildDuckApi } from './api.js';
import type { MailboxOptions, MailboxRow } from './mailbox.js';
import { formatSize } from './sizes.js';

const UNITS: Record<string, number> = { h: 3600, d: 86_400, w: 7 * 86_400, y: 365 * 86_400 };
/** Deletions in flight at once: enough to hide the round trip, few enough not to crowd the API. */
const PARALLEL = 4;

/** "90d", "12w", "1y", "36h" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([hdwy])$/i.exec(text.trim());
  if (!match) throw new CliError(`--older-than "${text}" is not a duration: use a number with h, d, w or y (e.g. 90d)`);
  const ms = Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 0) * 1000;
  if (ms <= 0) throw new CliError('--older-than must be longer than 0');
  return ms;
}

interface Found {
  uid: number;
  size: number;
}

/** Every message of the mailbox received before `cutoff`, oldest first (WildDuck's search, paged). */
async function olderMessages(api: WildDuckApi, id: string, box: MailboxRow, cutoff: Date): Promise<Found[]> {
  const found: Found[] = [];
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ mailbox: box.id, dateend: cutoff.toISOString(), limit: '250', order: 'asc' });
    if (next) query.set('next', next);
    const page = await api.must('GET', `/users/${id}/search?${query}`, undefined, `searching ${box.path}`);
    for (const m of (page.results ?? []) as Array<{ id: number; size: number; mailbox: string }>)
      if (m.mailbox === box.id) found.push({ uid: m.id, size: m.size });
    next = typeof page.nextCursor === 'string' && page.nextCursor ? page.nextCursor : undefined;
  } while (next);
  return found;
}

/**
 * `kura mailbox <user> expunge <path> --older-than 90d`: deletes the messages received
 * before the cutoff (WildDuck keeps them restorable in its archive for its archive period).
 * A rerun continues where an interrupted run stopped; --dry-run only counts.
 */
export async function expunge(api: WildDuckApi, id: string, user: string, box: MailboxRow, options: MailboxOptions) {
  if (!options.olderThan) throw new CliError(`say which messages: kura mailbox ${user} expunge "${box.path}" --older-than 90d`);
  const cutoff = new Date(Date.now() - parseDuration(options.olderThan));
  const out = createOutput({ json: options.json });
  const messages = await olderMessages(api, id, box, cutoff);
  const totalBytes = messages.reduce((n, m) => n + m.size, 0);
  const summary = { user, mailbox: box.path, before: cutoff.toISOString(), matched: messages.length, bytes: totalBytes };
  if (options.dryRun) {
    out.event(
      'expunge-plan',
      { ...summary, dryRun: true },
      `${user} ${box.path}: ${messages.length} messages (${formatSize(totalBytes)}) received before ${cutoff.toISOString()} would be deleted`,
    );
    return;
  }
  const interrupt = interruptSignal();
  const progress = {
    phase: 'expunge',
    collection: box.path,
    bytes: 0,
    totalBytes,
    messages: 0,
    totalMessages: messages.length,
    startedAt: Date.now(),
  };
  const failed: Array<{ uid: number; error: string }> = [];
  let gone = 0;
  let cursor = 0;
  const worker = async () => {
    while (cursor < messages.length && !interrupt.signal.aborted) {
      const m = messages[cursor++] as Found;
      const answer = await api.call('DELETE', `/users/${id}/mailboxes/${box.id}/messages/${m.uid}`);
      // Gone already (a rerun, or the user deleted it meanwhile) counts as done.
      if (answer.success || answer.code === 'MessageNotFound') gone++;
      else failed.push({ uid: m.uid, error: answer.error ?? 'unknown error' });
      progress.messages++;
      progress.bytes += m.size;
      out.progress(progress);
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  } finally {
    interrupt.dispose();
    out.stop();
  }
  const seconds = (Date.now() - progress.startedAt) / 1000;
  const result = { ...summary, deleted: gone, failed, seconds: Math.round(seconds * 10) / 10, interrupted: interrupt.signal.aborted };
  out.event(
    interrupt.signal.aborted ? 'interrupted' : 'expunged',
    result,
    `${user} ${box.path}: deleted ${gone} of ${messages.length} messages received before ${cutoff.toISOString()}${failed.length ? `; ${failed.length} failed (first: ${failed[0]?.error})` : ''}${interrupt.signal.aborted ? ' (interrupted: run the same command again to finish)' : ''}`,
  );
  if (interrupt.signal.aborted) process.exitCode = 130;
  else if (failed.length) process.exitCode = 1;
}
