import net from 'node:net';
import { type KuraConfig, reversedIp } from '@kura/config';
import { dnsResolver, isNoRecord } from './dns-resolver.js';
import { blocklistLookups } from './trust-metrics.js';

export type ListingResult = { result: 'listed'; answer: string } | { result: 'clear' } | { result: 'error'; detail: string };

interface Cached {
  listing: ListingResult;
  expires: number;
}

/** Bounded, so a flood from many addresses cannot grow the MX's memory without limit. */
const MAX_CACHED = 50_000;
const cache = new Map<string, Cached>();

/**
 * Asks each configured blocklist zone about one client IP (RFC 5782: an A
 * record under the reversed address means "listed"). Results, listed or not,
 * are reused for `cacheSeconds`; a DNS error is never cached and never counts
 * as listed, so a failing DNS server lets mail through instead of refusing it.
 * Returns the first zone that lists the IP.
 */
export async function checkBlocklists(config: KuraConfig, ip: string): Promise<{ zone: string; listing: ListingResult } | undefined> {
  const { zones, cacheSeconds } = config.trust.blocklists;
  // No address to ask about (a socket Haraka could not name): nothing can list it.
  if (net.isIP(ip.replace(/^::ffff:/i, '')) === 0) return undefined;
  const results = await Promise.all(zones.map(async (zone) => ({ zone, listing: await lookup(config, ip, zone, cacheSeconds) })));
  return results.find((r) => r.listing.result === 'listed');
}

async function lookup(config: KuraConfig, ip: string, zone: string, cacheSeconds: number): Promise<ListingResult> {
  const name = `${reversed(ip)}.${zone}`;
  const hit = cache.get(name);
  if (hit && hit.expires > Date.now()) {
    blocklistLookups.inc({ zone, result: 'cached' });
    return hit.listing;
  }
  const listing = await ask(config, name);
  blocklistLookups.inc({ zone, result: listing.result });
  if (listing.result !== 'error' && cacheSeconds > 0) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(name, { listing, expires: Date.now() + cacheSeconds * 1000 });
  }
  return listing;
}

async function ask(config: KuraConfig, name: string): Promise<ListingResult> {
  try {
    const answers = (await dnsResolver(config)(name, 'A')) as string[];
    // 127.255.255.x are the lists' own error codes (e.g. "query refused via a public resolver"), not listings.
    const listed = answers.filter((a) => a.startsWith('127.') && !a.startsWith('127.255.255.'));
    if (listed.length > 0) return { result: 'listed', answer: listed.join(',') };
    if (answers.length > 0) return { result: 'error', detail: `unexpected answer ${answers.join(',')}` };
    return { result: 'clear' };
  } catch (err) {
    if (isNoRecord(err)) return { result: 'clear' };
    return { result: 'error', detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/** 192.0.2.1 → 1.2.0.192; IPv6 as reversed nibbles (RFC 5782 §2.4); one builder with the guard's own-IP check. */
export const reversed = reversedIp;

/** Forgets cached listings (tests, and an operator who just fixed a listing). */
export function clearBlocklistCache(): void {
  cache.clear();
}
