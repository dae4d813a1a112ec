import type { Store } from '@kura/store';
import addressparser, { type Address } from 'nodemailer/lib/addressparser';

/**
 * Whether `address` belongs to the user: one of the user's own addresses or
 * an alias (WildDuck's resolver: the address itself, then domain aliases; a
 * wildcard never makes an address the user's to send from).
 */
export async function ownsAddress(store: Store, userId: string, address: string): Promise<boolean> {
  if (!address.includes('@')) return false;
  const record = await store.users.asyncResolveAddress(address, { wildcard: false });
  const owner = record ? (record.user ?? record.targets?.find((t) => t.type === 'user')?.user) : undefined;
  return owner !== undefined && String(owner) === userId;
}

/** The header block of a message (up to the first empty line), unfolded, as name/value pairs. */
export function headerFields(raw: Buffer): Array<{ name: string; value: string }> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end < 0 ? text : text.slice(0, end);
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) last.value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
    }
  }
  return fields;
}

/** Every mailbox address in a From/Sender field (groups flattened), lower-cased. */
export function mailboxes(value: string): string[] {
  const flat = (list: Address[]): string[] => list.flatMap((a) => (a.group ? flat(a.group) : a.address ? [a.address.toLowerCase()] : []));
  return flat(addressparser(Buffer.from(value, 'latin1').toString('utf8')));
}

export type HeaderSenderVerdict = { ok: true } | { ok: false; reason: 'no-from' | 'several-from' | 'foreign-from'; text: string };

/**
 * The From field (and Sender, when present) must name only addresses of the
 * authenticated user: a logged-in account must not send as someone else.
 */
export async function checkHeaderSenders(store: Store, userId: string, username: string, raw: Buffer): Promise<HeaderSenderVerdict> {
  const fields = headerFields(raw);
  const from = fields.filter((f) => f.name === 'from');
  if (from.length === 0) return { ok: false, reason: 'no-from', text: 'The message has no From header field' };
  if (from.length > 1) return { ok: false, reason: 'several-from', text: 'The message has more than one From header field' };
  const claimed = [...mailboxes(from[0]?.value ?? ''), ...fields.filter((f) => f.name === 'sender').flatMap((f) => mailboxes(f.value))];
  if (claimed.length === 0) return { ok: false, reason: 'no-from', text: 'The From header field names no address' };
  for (const address of claimed) {
    if (!(await ownsAddress(store, userId, address))) {
      return { ok: false, reason: 'foreign-from', text: `Header From/Sender address <${address}> is not an address of ${username}` };
    }
  }
  return { ok: true };
}
