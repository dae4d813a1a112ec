import { claimDsn, deliverToInbox, markDsnDone, type OutboundEntry, type RecipientFailure, type Store } from '@kura/store';
import { buildDsn } from './dsn.js';
import { dsnsSent } from './metrics.js';

/**
 * Stores the one bounce for a failed submission in its sender's INBOX (the
 * sender is a Kura user: no SMTP hop, no DKIM, nothing to bounce back). The
 * delivery key makes a repeat after a crash a no-op; a store failure leaves
 * `dsnDone` unset so the agent's sweep tries again once the claim lapses.
 */
export async function deliverDsn(
  store: Store,
  entry: Pick<OutboundEntry, '_id' | 'user' | 'kind' | 'envelope' | 'raw' | 'created'>,
  failures: RecipientFailure[],
  options: { hostname: string; timeoutMs: number },
): Promise<boolean> {
  if (entry.kind !== 'submission' || !entry.envelope.from || failures.length === 0) return false;
  // The agent that failed the entry and the sweep may both get here: one stores it, the delivery key guards a crash.
  if (!(await claimDsn(store, entry._id))) return false;
  const raw = buildDsn({ hostname: options.hostname, sender: entry.envelope.from, arrival: entry.created, failures, original: entry.raw });
  const receipt = await deliverToInbox(store, {
    userId: entry.user,
    raw,
    envelopeFrom: '',
    recipient: entry.envelope.from,
    queueId: `dsn-${entry._id.toHexString()}`,
    deliveryKey: `dsn:${entry._id.toHexString()}`,
    timeoutMs: options.timeoutMs,
  });
  if (!receipt.duplicate) dsnsSent.inc();
  await markDsnDone(store, entry._id);
  return true;
}
