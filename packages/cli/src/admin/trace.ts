import { findAccountSummary, outboundSince, type Store, traceMessage } from '@kura/store';
import { ObjectId } from 'mongodb';
import { CliError } from '../errors.js';
import { openConfiguredStore } from './open-store.js';
import { traceAddressCommand } from './trace-address.js';

const ADDRESS = /^[^<>@\s]+@[^<>@\s]+$/;

/**
 * Whether `id` is meant as an address: it has an address's shape and is a local address,
 * or --since/--address ask for the address view. A Message-ID in <…> is never an address.
 */
async function meansAddress(store: Store, id: string, options: { since?: string; address?: boolean }): Promise<boolean> {
  if (!ADDRESS.test(id)) {
    if (options.address) throw new CliError(`"${id}" is not an address (e.g. jane@example.edu)`);
    return false;
  }
  if (options.address || options.since) return true;
  return (await store.users.asyncResolveAddress(id.toLowerCase(), { wildcard: true, projection: { user: true } })) !== false;
}

/** `kura trace <queue-id|message-id|address>`: where the message (or the address's mail) went, and what Kura sent because of it. */
export async function trace(
  id: string,
  options: { config?: string; json?: boolean; user?: string; since?: string; limit?: string; address?: boolean },
) {
  const { store } = await openConfiguredStore(options);
  try {
    if (await meansAddress(store, id, options)) return await traceAddressCommand(store, id, options);
    let users: ObjectId[] | undefined;
    if (options.user) {
      const account = await findAccountSummary(store, options.user);
      if (!account) throw new CliError(`no user "${options.user}" (kura user list)`);
      users = [new ObjectId(account.id)];
    }
    const hits = await traceMessage(store, id, users);
    // No message by that id, but it reads as an address: show the address's traffic instead.
    if (!hits.length && ADDRESS.test(id)) return await traceAddressCommand(store, id, options);
    const owners = [...new Set(hits.map((h) => h.user))];
    const ownerIds = (await Promise.all(owners.map((u) => findAccountSummary(store, u)))).filter((a) => a).map((a) => new ObjectId(a?.id));
    const earliest = hits.reduce<Date | undefined>((min, h) => (!min || h.idate < min ? h.idate : min), undefined);
    const outbound = earliest && ownerIds.length ? await outboundSince(store, ownerIds, earliest) : [];
    if (options.json || !process.stdout.isTTY) {
      process.stdout.write(`${JSON.stringify({ id, stored: hits, outbound })}\n`);
    } else if (!hits.length) {
      process.stdout.write(
        `no stored message with queue id or Message-ID "${id}"${options.user ? ` for ${options.user}` : ''}\n  (refused at SMTP? look for the queue id in the MX log: journalctl -u kura-mx | grep ${id})\n`,
      );
    } else {
      for (const h of hits) {
        process.stdout.write(
          `${[
            `stored for ${h.user} in ${h.mailbox} (UID ${h.uid}), ${h.size} bytes, ${h.idate.toISOString()}${h.junk ? ', classified as junk' : ''}`,
            `  subject: ${h.subject}`,
            `  message-id: ${h.msgid}   flags: ${h.flags.join(' ') || '(none)'}`,
            `  came by: ${h.source || 'unknown'}${h.queueId ? ` queue id ${h.queueId}` : ''}${h.envelopeFrom ? ` from <${h.envelopeFrom}>` : ''}${h.origin ? ` client ${h.origin}` : ''}`,
          ].join('\n')}\n`,
        );
      }
      for (const o of outbound)
        process.stdout.write(
          `queued ${o.kind} to ${(o.envelope?.to ?? []).join(', ')} at ${new Date(o.created).toISOString()}: ${o.status}${o.lastError ? ` (${o.lastError})` : ''}\n`,
        );
    }
    if (!hits.length) process.exitCode = 1;
  } finally {
    await store.close();
  }
}
