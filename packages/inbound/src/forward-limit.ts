import { checkSendRate, type Store } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { inboundConfig } from './store-handle.js';

export interface ForwardLimit {
  allowed: boolean;
  /** When the forward may go, if not now. */
  retryAfterMs?: number;
}

/**
 * Charges a forward to `count` targets against the user's and the forwarding
 * domain's hourly sending budgets (shared with every other mail Kura sends for
 * them). Over the limit the forward is still queued, for when the budget has
 * room again: the local copy is stored and nothing is lost.
 */
export async function forwardAllowed(store: Store, userId: ObjectId, domain: string, count: number): Promise<ForwardLimit> {
  const { perUserPerHour, perDomainPerHour } = inboundConfig().outbound;
  const verdict = await checkSendRate(store.redis, { perUserPerHour, perDomainPerHour }, { user: userId.toHexString(), domain }, count);
  return verdict.allowed ? { allowed: true } : { allowed: false, retryAfterMs: verdict.retryAfterSeconds * 1000 };
}
