import type { HarakaTransaction } from './haraka.js';

/** Haraka's parsed header, with the parts that removing single lines has to keep in step. */
interface MutableHeader {
  header_list: string[];
  headers: Record<string, string[]>;
  headers_decoded: Record<string, string[]>;
  _add_header(key: string, value: string, method: 'push'): void;
  _add_header_decode(key: string, value: string, method: 'push'): void;
}

/**
 * Kura's loop markers stay: they are what Kura writes on mail it emits itself
 * (auto-replies; forwards), and seeing them come back is how a loop is caught
 * (loops.ts, forward.ts). Forging one only gets the forger's own message
 * refused or not forwarded.
 */
const KEPT = new Set(['x-kura-loop', 'x-kura-forwarded']);

/**
 * Removes header fields a sender must not be able to set: every `X-Kura-*`
 * field but the loop marker (Kura's own verdicts, such as X-Kura-Scan) and every
 * `Authentication-Results` field that claims to come from `authservId`
 * (RFC 8601 §5). Only those lines go; every other header line and the body
 * keep their exact bytes, because Haraka writes the message out from this
 * same line list. Returns the names of the fields removed.
 */
export function stripForgedHeaders(txn: HarakaTransaction, authservId: string): string[] {
  const header = txn.header as unknown as MutableHeader;
  const removed: string[] = [];
  const touched = new Set<string>();
  for (let i = header.header_list.length - 1; i >= 0; i--) {
    const line = header.header_list[i] as string;
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if ((name.startsWith('x-kura-') && !KEPT.has(name)) || (name === 'authentication-results' && claimsAuthservId(line, authservId))) {
      header.header_list.splice(i, 1);
      removed.unshift(name);
      touched.add(name);
    }
  }
  // The parsed views (txn.header.get) are rebuilt from the remaining lines of each touched field.
  for (const name of touched) {
    delete header.headers[name];
    delete header.headers_decoded[name];
    for (const line of header.header_list) {
      const colon = line.indexOf(':');
      if (line.slice(0, colon).trim().toLowerCase() !== name) continue;
      const value = line.slice(colon + 1).replace(/^\s*/, '');
      header._add_header(name, value, 'push');
      header._add_header_decode(name, value, 'push');
    }
  }
  return removed;
}

/** The authserv-id is the first token of the field value, before an optional version and the first ';'. */
export function claimsAuthservId(line: string, authservId: string): boolean {
  const value = line
    .slice(line.indexOf(':') + 1)
    .replace(/\([^)]*\)/g, ' ')
    .trim();
  const id = value.split(/[\s;]/, 1)[0] ?? '';
  return id.toLowerCase() === authservId.toLowerCase();
}
