import type { KuraConfig } from '@kura/config';
import { claimOutbound, listHolds, pendingDsns, pruneOutbound, type Store } from '@kura/store';
import { type AgentLog, deliverEntry, type EntryContext } from './deliver-entry.js';
import { deliverDsn } from './dsn-delivery.js';
import { heldSenders } from './metrics.js';
import type { RetryPolicy } from './retry-policy.js';
import { mxResolver } from './route.js';

export interface AgentOptions {
  config: KuraConfig;
  /** The store, opened lazily: a data tier that is down only delays mail. */
  store: () => Promise<Store>;
  log: AgentLog;
  /** How often an idle agent looks for due entries; every 30th poll also sweeps up bounces not yet stored. */
  pollMs?: number;
}

export interface DeliveryAgent {
  /** Stops claiming; resolves once the deliveries in flight finished. */
  stop(): Promise<void>;
}

export function retryPolicy(config: KuraConfig): RetryPolicy {
  const { retryInitialSeconds, retryMaxSeconds, maxQueueDays } = config.outbound;
  return { initialMs: retryInitialSeconds * 1000, maxMs: retryMaxSeconds * 1000, maxQueueMs: maxQueueDays * 86_400_000 };
}

/**
 * The delivery agent: claims due entries from the shared outbound queue and
 * delivers up to `outbound.concurrency` of them at once on this node. Every
 * node may run one; a claim is a lease, so a node that dies mid-delivery only
 * delays its entries. While the store is unreachable nothing is claimed, so
 * nothing is attempted, failed or bounced.
 */
export function startDeliveryAgent(options: AgentOptions): DeliveryAgent {
  const { config, log } = options;
  const pollMs = options.pollMs ?? 1_000;
  const policy = retryPolicy(config);
  const resolve = mxResolver(config);
  // Longer than one attempt can take (connect + conversation, domains in parallel), so no second node steps in.
  const leaseMs = 3 * config.outbound.timeoutSeconds * 1000 + 30_000;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastSweep = 0;
  let filling = false;
  let again = false;

  // One fill at a time, so the concurrency bound holds; a wake-up during a fill runs another after it.
  const run = async () => {
    timer = undefined;
    if (filling) {
      again = true;
      return;
    }
    filling = true;
    try {
      await fill();
    } finally {
      filling = false;
    }
    if (again) {
      again = false;
      schedule(0);
    }
  };

  const fill = async () => {
    if (stopped) return;
    let claimedAny = false;
    try {
      const store = await options.store();
      const ctx: EntryContext = { store, config, policy, resolve, log };
      while (!stopped && inFlight.size < config.outbound.concurrency) {
        const entry = await claimOutbound(store, new Date(), leaseMs);
        if (!entry) break;
        claimedAny = true;
        const work = deliverEntry(entry, ctx)
          .catch((err: Error) => log.error(`outbound ${entry._id.toHexString()}: ${err.message}`))
          .finally(() => {
            inFlight.delete(work);
            schedule(0);
          });
        inFlight.add(work);
      }
      // The sweep (bounces whose storing failed, the held-senders gauge) is rare work: every 30 polls.
      if (!claimedAny && Date.now() - lastSweep >= 30 * pollMs) {
        lastSweep = Date.now();
        await sweep(store);
      }
    } catch (err) {
      log.warn(`outbound queue not reachable: ${(err as Error).message}`);
    }
    schedule(claimedAny ? 0 : pollMs);
  };

  /** Bounces whose storing failed earlier, the held-senders gauge, and finished entries past their keep time. */
  const sweep = async (store: Store) => {
    heldSenders.set((await listHolds(store)).length);
    const pruned = await pruneOutbound(store, new Date(Date.now() - config.outbound.keepDays * 86_400_000));
    if (pruned > 0) log.info(`outbound: ${pruned} finished entries older than ${config.outbound.keepDays} days removed`);
    for (const entry of await pendingDsns(store)) {
      await deliverDsn(store, entry, entry.failed ?? [], {
        hostname: config.hostname,
        timeoutMs: config.outbound.timeoutSeconds * 1000,
      }).catch((err: Error) => log.warn(`outbound ${entry._id.toHexString()}: bounce still not stored (${err.message})`));
    }
  };

  const schedule = (delay: number) => {
    if (stopped || timer) return;
    timer = setTimeout(() => void run(), delay);
  };

  schedule(0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(inFlight);
    },
  };
}
