import type { KuraConfig } from '@kura/config';
import type { Logger } from 'pino';
import { type BlocklistPair, blocklistResolver, type Listing, lookupListing, type ResolveA } from './blocklist-lookup.js';
import type { GuardMetrics } from './metrics.js';
import type { GuardState } from './state.js';

/** The newest result for one pair, and since when it holds. */
export interface BlocklistEntry extends BlocklistPair {
  listing: Listing;
  /** When the current state began (a listing's "since when"; kept while the state does not change). */
  since: number;
  /** When the listing was first seen (kept while lookups fail, dropped once a lookup says "not listed"). */
  listedSince?: number;
  checkedAt: number;
}

export const BLOCKLIST_COMPONENT = 'blocklist';

/**
 * Watches Kura's own sending IPs and domains in the configured DNS blocklists.
 * A listing marks the `blocklist` component degraded (an incident, so the
 * alert goes out) and sets `kura_guard_blocklist_listed`; delisting clears
 * both. A pair whose lookup fails is unknown: no sample, never "listed", and
 * it neither opens nor closes an incident.
 */
export class BlocklistWatch {
  readonly entries = new Map<string, BlocklistEntry>();
  private readonly pairs: BlocklistPair[];
  private readonly resolve: ResolveA;
  private running = false;

  constructor(
    settings: KuraConfig['guard']['blocklist'],
    private readonly state: GuardState,
    private readonly metrics: GuardMetrics,
    private readonly log: Logger,
    /** The DNS lookup (default: the configured servers); unit tests pass a scripted one. */
    resolve?: ResolveA,
  ) {
    this.pairs = [
      ...settings.ips.flatMap((target) => settings.ipZones.map((zone) => ({ kind: 'ip' as const, target, zone }))),
      ...settings.domains.flatMap((target) => settings.domainZones.map((zone) => ({ kind: 'domain' as const, target, zone }))),
    ];
    this.resolve = resolve ?? blocklistResolver(settings.dnsServers, settings.dnsTimeoutMs);
    if (this.enabled) {
      state.define(BLOCKLIST_COMPONENT, 'Outgoing mail reputation (blocklists)', 'receivers may refuse mail sent from this system');
    }
  }

  get enabled(): boolean {
    return this.pairs.length > 0;
  }

  /** Looks every pair up once and updates the metric and the component. */
  async check(): Promise<void> {
    if (!this.enabled || this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const results = await Promise.all(this.pairs.map(async (pair) => ({ pair, listing: await lookupListing(this.resolve, pair) })));
      for (const { pair, listing } of results) this.store(pair, listing, now);
      this.summarize();
      const c = this.state.components.get(BLOCKLIST_COMPONENT);
      if (c) this.metrics.setStatus(c.id, c.status);
    } finally {
      this.running = false;
    }
  }

  private store(pair: BlocklistPair, listing: Listing, now: number): void {
    const key = `${pair.kind} ${pair.target} ${pair.zone}`;
    const previous = this.entries.get(key);
    const same = previous?.listing.state === listing.state;
    // A listing seen again after lookups failed in between is the same listing: it keeps its "since".
    const listedSince =
      listing.state === 'listed' ? (previous?.listedSince ?? now) : listing.state === 'unknown' ? previous?.listedSince : undefined;
    const since = listing.state === 'listed' ? (listedSince as number) : same && previous ? previous.since : now;
    this.entries.set(key, { ...pair, listing, since, listedSince, checkedAt: now });
    const labels = { kind: pair.kind, target: pair.target, zone: pair.zone };
    if (listing.state === 'unknown') this.metrics.blocklistListed.remove(labels);
    else this.metrics.blocklistListed.set(labels, listing.state === 'listed' ? 1 : 0);
    if (same) return;
    if (listing.state === 'listed') this.log.warn({ ...labels, answer: listing.answer }, `${pair.target} is listed in ${pair.zone}`);
    else if (previous?.listing.state === 'listed')
      this.log.info(labels, `${pair.target} is no longer ${listing.state === 'clear' ? 'listed' : 'known to be listed'} in ${pair.zone}`);
  }

  private summarize(): void {
    const all = [...this.entries.values()];
    const listed = all.filter((e) => e.listing.state === 'listed');
    const unknown = all.filter((e) => e.listing.state === 'unknown');
    if (listed.length) {
      const where = listed.map((e) => `${e.target} in ${e.zone}`).join(', ');
      this.state.force(BLOCKLIST_COMPONENT, 'degraded', `listed: ${where}`);
    } else if (unknown.length) {
      // Not known is not "clear": an open incident stays open until a real answer says the listing is gone.
      const reasons = [...new Set(unknown.map((e) => (e.listing.state === 'unknown' ? e.listing.reason : '')))].join('; ');
      this.state.force(BLOCKLIST_COMPONENT, 'unknown', `${unknown.length} of ${all.length} lookups failed (${reasons})`);
    } else {
      this.state.force(BLOCKLIST_COMPONENT, 'up', `not listed (${all.length} lookups)`);
    }
  }
}
