import { type AddressTrace, findAccountSummary, type Store, traceAddress } from '@kura/store';
import { ObjectId } from 'mongodb';
import { CliError } from '../errors.js';
import { parseDuration } from './expunge.js';

export interface AddressTraceOptions {
  json?: boolean;
  user?: string;
  since?: string;
  limit?: string;
}

/** "2h", "7d" (ago) or a date. */
export function parseSince(text: string | undefined, now = Date.now()): Date {
  if (!text) return new Date(now - 24 * 3600 * 1000);
  if (/^\d+\s*[hdwy]$/i.test(text.trim())) return new Date(now - parseDuration(text));
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at.getTime())) throw new CliError(`--since "${text}" is neither a duration (2h, 7d) nor a date (2026-11-28)`);
  return at;
}

function verdict(h: AddressTrace['received'][number]): string {
  return h.junk ? 'junk (spam verdict)' : h.mailbox === 'INBOX' ? 'inbox' : `filed in ${h.mailbox}`;
}

function human(t: AddressTrace, since: Date, scoped: boolean): string {
  const lines: string[] = [];
  if (t.user) {
    lines.push(
      `${t.address} delivers to user ${t.user.username}${t.user.forwardTargets.length ? `, forwarded to ${t.user.forwardTargets.join(', ')}` : ''}`,
    );
    lines.push(`received since ${since.toISOString()}: ${t.received.length}`);
    for (const h of t.received)
      lines.push(
        `  ${h.idate.toISOString()}  ${verdict(h)}  ${h.mailbox} UID ${h.uid}  ${h.size} B  from <${h.envelopeFrom ?? '?'}>  ${h.source}${h.queueId ? ` queue ${h.queueId}` : ''}  "${h.subject}"`,
      );
  } else {
    lines.push(`${t.address} is not a local address (no user, alias or wildcard has it)`);
  }
  if (scoped) {
    lines.push(`sent from ${t.address} and stored since ${since.toISOString()}: ${t.sent.length}`);
    for (const h of t.sent) lines.push(`  ${h.idate.toISOString()}  to ${h.user} ${verdict(h)}  ${h.mailbox} UID ${h.uid}  "${h.subject}"`);
  } else if (!t.user) {
    lines.push('  (to see mail from this sender, name the recipient: --user <name>; searching every mailbox would read the whole store)');
  }
  lines.push(`queued by Kura (auto-replies, forwards, submissions): ${t.outbound.length}`);
  for (const o of t.outbound)
    lines.push(
      `  ${o.created.toISOString()}  ${o.kind} <${o.from}> -> ${o.to.join(', ')}: ${o.status}${o.lastError ? ` (${o.lastError})` : ''}`,
    );
  return lines.join('\n');
}

/** `kura trace <address>`: recent messages to and from an address, bounded by --since and --limit. */
export async function traceAddressCommand(store: Store, address: string, options: AddressTraceOptions): Promise<void> {
  const since = parseSince(options.since);
  const limit = Number(options.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new CliError(`--limit must be a whole number from 1 to 1000, not "${options.limit}"`);
  const scope: ObjectId[] = [];
  if (options.user) {
    const account = await findAccountSummary(store, options.user);
    if (!account) throw new CliError(`no user "${options.user}" (kura user list)`);
    scope.push(new ObjectId(account.id));
  }
  const result = await traceAddress(store, address, { since, limit, senderScope: scope });
  if (options.json || !process.stdout.isTTY) process.stdout.write(`${JSON.stringify({ since: since.toISOString(), ...result })}\n`);
  else process.stdout.write(`${human(result, since, scope.length > 0)}\n`);
  if (!result.user && !result.sent.length && !result.outbound.length) process.exitCode = 1;
}
