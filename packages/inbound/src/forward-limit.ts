import { type Store, takeOutboundBudget } from '@kura/store';
import type { ObjectId } from 'mongodb';
import { inboundConfig } from './store-handle.js';

export interface ForwardLimit {
  allowed: boolean;
  /** When the forward may go, if not now. */
  retryAfterMs?: number;
}

/**
 * Whether the user may send `count` more forwards now. Over the limit the
 * forward is still queued, for later: the local copy is stored and nothing is lost.
 */
export async function forwardAllowed(store: Store, userId: ObjectId, count: number): Promise<ForwardLimit> {
  const { perUserPerHour } = inboundConfig().outbound;
  let allowed = true;
  for (let i = 0; i < count; i++) allowed = (await takeOutboundBudget(store.redis, userId, perUserPerHour)) && allowed;
  return allowed ? { allowed } : { allowed, retryAfterMs: 3600_000 - (Date.now() % 3600_000) };
}
