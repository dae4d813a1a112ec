import { decideDelivery, type Placement, queueForwards, type SharedParse, type Store } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { inboundForwardJob } from './forward.js';
import type { HarakaConnection, HarakaTransaction } from './haraka.js';
import { JUNK } from './loops.js';
import { SCAN_ACTION } from './trust.js';

type Log = (plugin: unknown, message: string, fields?: Record<string, unknown>) => void;

export interface PlacementJob {
  plugin: unknown;
  connection: HarakaConnection;
  txn: HarakaTransaction;
  store: Store;
  raw: Buffer;
  recipient: string;
  userId: ObjectId;
  deliveryKey?: string;
  /** The message as parsed once for the transaction, shared by every recipient and step (filters, storing). */
  parsed: SharedParse;
}

/** What the filters decided, for what follows the stored copy (auto-reply, log line). */
export interface PlacementOutcome {
  spam: boolean;
  forwards: number;
  filters: string[];
  /** How long WildDuck's filter handling took for this recipient. */
  filterMs: number;
}

/**
 * The `place` step of one delivery: WildDuck's filter handling decides folder,
 * flags, spam and forwards for this user; the forwards are queued durably
 * before the copy is stored (and so before the 250).
 */
export function placeWithFilters(job: PlacementJob, outcome: PlacementOutcome): () => Promise<Placement> {
  const log = (message: string, fields?: Record<string, unknown>) =>
    (job.connection.loginfo as Log)(job.plugin, `${message} (${job.recipient})`, fields);
  return async () => {
    const started = Date.now();
    const decision = await decideDelivery(job.store, {
      userId: job.userId,
      raw: job.raw,
      envelopeFrom: job.txn.mail_from.address,
      recipient: job.recipient,
      spamAction: spamAction(job.txn),
      log: (entry) => log(String(entry.short_message ?? 'filter handling'), withoutShortMessage(entry)),
      parsed: job.parsed,
    });
    outcome.filterMs = Date.now() - started;
    // The account went away between RCPT and now: stored as before, by the scanner's verdict.
    if (!decision) return { target: job.txn.notes[JUNK] === true ? { specialUse: '\\Junk' } : { path: 'INBOX' }, flags: [] };
    outcome.spam = decision.spam;
    outcome.filters = decision.filters;
    if (decision.forwards.length > 0) {
      outcome.forwards = await queueForwards(
        inboundForwardJob({
          store: job.store,
          txn: job.txn,
          userId: job.userId,
          deliveryKey: job.deliveryKey,
          overForwardLimit: decision.overForwardLimit,
          log,
        }),
        decision.forwards,
      );
    }
    return { target: decision.target, flags: decision.flags, filters: decision.filters, drop: decision.drop };
  };
}

/**
 * Kura's scanner verdict in the rspamd action names WildDuck weighs against a
 * user's spam level (0: everything is spam … 100: nothing is): junk counts as
 * "rewrite subject" (50, WildDuck's default level, so junk goes to Junk for a
 * user who never changed it), rspamd's own "reject" as 75, clean as 0.
 */
export function spamAction(txn: HarakaTransaction): string {
  if (txn.notes[JUNK] !== true) return 'no action';
  return txn.notes[SCAN_ACTION] === 'reject' ? 'reject' : 'rewrite subject';
}

function withoutShortMessage(entry: Record<string, unknown>): Record<string, unknown> {
  const { short_message: _, ...rest } = entry;
  return rest;
}
