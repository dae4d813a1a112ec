import { promises as dns } from 'node:dns';
import { reversedIp } from '@kura/config';

/** One own IP or domain in one zone. */
export interface BlocklistPair {
  kind: 'ip' | 'domain';
  target: string;
  zone: string;
}

/** What one lookup found. A DNS failure is "unknown", never "listed": a dead resolver must not raise a listing. */
export type Listing = { state: 'listed'; answer: string } | { state: 'clear' } | { state: 'unknown'; reason: string };

export type ResolveA = (name: string) => Promise<string[]>;

/** A resolver that asks `servers` (or the system's), once, within `timeoutMs`. */
export function blocklistResolver(servers: string[] | undefined, timeoutMs: number): ResolveA {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers?.length) resolver.setServers(servers);
  return (name) => resolver.resolve4(name);
}

/** The name to look up: RFC 5782 reversed IPv4 octets or IPv6 nibbles under the zone; a domain as it is. */
export function queryName(pair: BlocklistPair): string {
  if (pair.kind === 'domain') return `${pair.target.toLowerCase().replace(/\.$/, '')}.${pair.zone}`;
  return `${reversedIp(pair.target)}.${pair.zone}`;
}

/** Interprets one lookup: 127.0.0.0/8 lists, 127.255.255.x are the lists' error codes (e.g. "public resolver refused"). */
export async function lookupListing(resolve: ResolveA, pair: BlocklistPair): Promise<Listing> {
  let answers: string[];
  try {
    answers = await resolve(queryName(pair));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { state: 'clear' };
    return { state: 'unknown', reason: `DNS ${code ?? (err as Error).message}` };
  }
  const codes = answers.filter((a) => a.startsWith('127.'));
  const refused = codes.filter((a) => a.startsWith('127.255.255.'));
  const listed = codes.filter((a) => !a.startsWith('127.255.255.'));
  if (listed.length) return { state: 'listed', answer: listed.join(',') };
  if (refused.length) return { state: 'unknown', reason: `the list refused the query (${refused.join(',')})` };
  if (answers.length) return { state: 'unknown', reason: `unexpected answer ${answers.join(',')}` };
  return { state: 'clear' };
}
