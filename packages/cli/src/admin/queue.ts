import { loadConfig } from '@kura/config';
import { resetSenderOutcomes } from '@kura/outbound';
import {
  findAccountSummary,
  findOutbound,
  isObjectIdText,
  listHolds,
  listOutbound,
  type OutboundStatus,
  type OutboundSummary,
  releaseSender,
  removeOutbound,
  retryOutbound,
  type Store,
  unsuppressAddress,
} from '@kura/store';
import Table from 'cli-table3';
import { ObjectId } from 'mongodb';
import { CliError } from '../errors.js';
import { openConfiguredStore } from './open-store.js';

interface QueueOptions {
  config?: string;
  json?: boolean;
}

const STATUSES: OutboundStatus[] = ['queued', 'sending', 'held', 'sent', 'failed'];
const asJson = (options: QueueOptions) => options.json || !process.stdout.isTTY;

async function withStore<T>(options: QueueOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const { store } = await openConfiguredStore(options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function entryId(text: string): ObjectId {
  if (!isObjectIdText(text)) throw new CliError(`"${text}" is not a queue id (24 hex digits, as kura queue list shows)`);
  return new ObjectId(text);
}

async function userId(store: Store, name: string): Promise<{ id: ObjectId; username: string }> {
  const found = await findAccountSummary(store, name);
  if (!found) throw new CliError(`no user "${name}" (kura user list shows who exists)`);
  return { id: new ObjectId(found.id), username: found.username };
}

function print(options: QueueOptions, data: unknown, human: string): void {
  process.stdout.write(asJson(options) ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

const row = (e: OutboundSummary) => ({
  id: e._id.toHexString(),
  user: e.user.toHexString(),
  kind: e.kind,
  status: e.status,
  from: e.envelope.from,
  to: e.envelope.to,
  pending: e.pending ?? e.envelope.to,
  failed: e.failed ?? [],
  attempts: e.attempts,
  created: e.created,
  nextAttemptAt: e.nextAttemptAt,
  retryUntil: e.retryUntil,
  lastError: e.lastError,
  size: e.size,
});

/** `kura queue list`: what waits, is held or failed (sent entries only with --status sent). */
export async function queueList(options: QueueOptions & { status?: string; user?: string; limit?: string; after?: string }) {
  const limit = Number(options.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive whole number, not "${options.limit}"`);
  const status = options.status as OutboundStatus | undefined;
  if (status && !STATUSES.includes(status)) throw new CliError(`--status must be one of ${STATUSES.join(', ')}, not "${options.status}"`);
  const after = options.after ? entryId(options.after) : undefined;
  await withStore(options, async (store) => {
    const user = options.user ? (await userId(store, options.user)).id : undefined;
    const entries = await listOutbound(store, { status, user, after, limit });
    if (asJson(options)) {
      for (const e of entries) process.stdout.write(`${JSON.stringify(row(e))}\n`);
      return;
    }
    const table = new Table({ head: ['id', 'kind', 'status', 'from', 'pending / failed', 'attempts', 'next', 'last error'] });
    for (const e of entries) {
      const r = row(e);
      table.push([
        r.id,
        r.kind,
        r.status,
        r.from || '<>',
        [...r.pending, ...r.failed.map((f) => `✗ ${f.address}`)].join('\n'),
        String(r.attempts),
        r.status === 'queued' ? r.nextAttemptAt.toISOString() : '',
        (r.lastError ?? '').slice(0, 60),
      ]);
    }
    const more = entries.length === limit ? `more: kura queue list --after ${entries[entries.length - 1]?._id.toHexString()}\n` : '';
    process.stdout.write(`${entries.length ? table.toString() : 'the outbound queue holds nothing of that kind'}\n${more}`);
  });
}

/** `kura queue retry <id>`: due now; a failed entry is tried again for its failed recipients. */
export async function queueRetry(id: string, options: QueueOptions) {
  const _id = entryId(id);
  await withStore(options, async (store) => {
    const answer = await retryOutbound(store, _id);
    if (!answer.retried) throw new CliError(`cannot retry ${id}: ${answer.why}`);
    const after = await findOutbound(store, _id);
    print(options, { event: 'retried', ...(after ? row(after) : { id }) }, `${id}: due now (kura queue list shows how it went)`);
  });
}

/** `kura queue rm <id> --yes`: the entry is deleted and never sent. */
export async function queueRm(id: string, options: QueueOptions & { yes?: boolean }) {
  const _id = entryId(id);
  if (!options.yes) throw new CliError(`this deletes ${id} from the outbound queue; it is never sent: run again with --yes`);
  await withStore(options, async (store) => {
    if (!(await removeOutbound(store, _id))) throw new CliError(`no queue entry ${id} (kura queue list shows what is queued)`);
    print(options, { event: 'removed', id }, `${id}: removed`);
  });
}

/** `kura queue release <user>`: lifts a sender's hold; their held mail is due at once and their failure tally restarts. */
export async function queueRelease(name: string, options: QueueOptions) {
  const config = loadConfig({ file: options.config });
  await withStore(options, async (store) => {
    const user = await userId(store, name);
    const released = await releaseSender(store, user.id);
    if (released === null) throw new CliError(`${user.username} is not held (kura queue holds lists who is)`);
    await resetSenderOutcomes(store.redis, user.id.toHexString(), config.outbound.hold.windowSeconds);
    print(
      options,
      { event: 'released', user: user.username, id: user.id.toHexString(), messages: released },
      `${user.username}: released, ${released} held message(s) due now`,
    );
  });
}

/** `kura queue holds`: senders held for an operator, with the reason. */
export async function queueHolds(options: QueueOptions) {
  await withStore(options, async (store) => {
    const holds = await listHolds(store);
    if (asJson(options)) {
      for (const h of holds) process.stdout.write(`${JSON.stringify({ user: h._id.toHexString(), reason: h.reason, since: h.since })}\n`);
      return;
    }
    if (holds.length === 0) {
      process.stdout.write('no sender is held\n');
      return;
    }
    const table = new Table({ head: ['user', 'since', 'reason'] });
    for (const h of holds) table.push([h._id.toHexString(), h.since.toISOString(), h.reason]);
    process.stdout.write(`${table.toString()}\nkura queue release <user> lets a sender's mail go\n`);
  });
}

/** `kura queue unsuppress <address>`: the address may receive mail again (it works again, says its owner). */
export async function queueUnsuppress(address: string, options: QueueOptions) {
  if (!address.includes('@')) throw new CliError(`"${address}" is not an address (user@example.net)`);
  await withStore(options, async (store) => {
    if (!(await unsuppressAddress(store, address))) throw new CliError(`${address} is not on the suppression list`);
    print(options, { event: 'unsuppressed', address }, `${address}: removed from the suppression list`);
  });
}
