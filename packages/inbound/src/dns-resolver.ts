import { promises as dns } from 'node:dns';
import type { KuraConfig } from '@kura/config';
import type { DNSResolver } from 'mailauth';

/** A DNS lookup as mailauth calls it: resolve(name, 'TXT' | 'A' | 'MX' …). */
export type Resolve = DNSResolver;

let cached: { key: string; resolve: Resolve } | undefined;

/**
 * The resolver for authentication and blocklist lookups: the configured DNS
 * servers (or the system's) with Kura's per-query timeout and a single try, so
 * a dead DNS server costs seconds, not minutes. Errors keep Node's codes
 * (ENOTFOUND/ENODATA: no such record; anything else: a temporary DNS error).
 */
export function dnsResolver(config: KuraConfig): Resolve {
  const key = JSON.stringify([config.trust.dnsServers, config.trust.dnsTimeoutMs]);
  if (cached?.key === key) return cached.resolve;
  const resolver = new dns.Resolver({ timeout: config.trust.dnsTimeoutMs, tries: 1 });
  if (config.trust.dnsServers) resolver.setServers(config.trust.dnsServers);
  const resolve = ((name: string, rrtype: string) => resolver.resolve(name, rrtype)) as unknown as Resolve;
  cached = { key, resolve };
  return resolve;
}

/** True for the answers that mean "no such record" rather than "could not ask". */
export function isNoRecord(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}
