import type { KuraConfig } from '@kura/config';
import {
  type ClaimedEntry,
  checkSendRate,
  deferOutbound,
  holdSender,
  isHeld,
  isSuppressed,
  type Store,
  settleOutbound,
  suppressAddress,
} from '@kura/store';
import { domainOf, fromDomain, signMessage } from './dkim-sign.js';
import { deliverDsn } from './dsn-delivery.js';
import { deferrals, deliveries, dkimSignatures, holdsTotal, suppressedTotal } from './metrics.js';
import { isHardBounce, type RetryPolicy, settleAttempt } from './retry-policy.js';
import { connectMx, RouteError, relayPeer, routePeer } from './route.js';
import { holdReason, recordSenderOutcomes } from './sender-health.js';
import { type RecipientOutcome, sendSmtp } from './smtp-send.js';

export interface AgentLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface EntryContext {
  store: Store;
  config: KuraConfig;
  policy: RetryPolicy;
  resolve: (name: string, type: string) => Promise<unknown[]>;
  log: AgentLog;
}

/** Mail whose failures say something about its sender (auto-replies go to whoever wrote, bounces are local). */
const JUDGED_KINDS = new Set(['submission', 'forward']);

/**
 * One attempt for one claimed entry: the checks that need no network
 * (hold, send budget, suppression), DKIM signing, one SMTP transaction per
 * recipient domain (or one through the relay), then the verdicts: retry,
 * suppression of hard bounces, the sender's failure tally and hold, and the
 * one bounce once the entry is finished. Trouble with Kura's own store before
 * sending puts the entry back without counting an attempt.
 */
export async function deliverEntry(entry: ClaimedEntry, ctx: EntryContext): Promise<void> {
  const { store, config, log } = ctx;
  const id = entry._id.toHexString();
  const now = new Date();
  const pending = entry.pending ?? entry.envelope.to;
  const retryLater = new Date(now.getTime() + ctx.policy.initialMs);

  let signed: Awaited<ReturnType<typeof signMessage>>;
  const suppressed: RecipientOutcome[] = [];
  const sendable: string[] = [];
  let rateCharged = entry.rateCharged ?? false;
  try {
    if (await isHeld(store, entry.user)) {
      await settleOutbound(store, entry._id, {
        status: 'held',
        pending,
        delivered: entry.delivered ?? [],
        failed: entry.failed ?? [],
        nextAttemptAt: now,
      });
      return;
    }
    for (const address of pending) {
      const hit = await isSuppressed(store, address);
      if (hit)
        suppressed.push({ address, result: 'failed', code: 0, message: `suppressed: ${hit.reason} (until ${hit.expires.toISOString()})` });
      else sendable.push(address);
    }
    // Forwards are charged when first sent (auto-replies when queued, submissions at RCPT time).
    if (entry.kind === 'forward' && !rateCharged && sendable.length > 0) {
      const domain = fromDomain(entry.raw) ?? domainOf(entry.envelope.from) ?? '';
      const answer = await checkSendRate(store.redis, config.outbound, { user: entry.user.toHexString(), domain }, sendable.length);
      if (!answer.allowed) {
        deferrals.inc({ reason: `rate-${answer.scope}` });
        await deferOutbound(
          store,
          entry._id,
          new Date(now.getTime() + answer.retryAfterSeconds * 1000),
          `${answer.scope} send budget spent`,
        );
        return;
      }
      rateCharged = true;
    }
    signed = await signMessage(store, entry.raw, entry.envelope.from);
  } catch (err) {
    // Kura's own trouble (store, Redis, a key it cannot decrypt): not the recipient's, not an attempt.
    deferrals.inc({ reason: 'store' });
    log.warn(`outbound ${id}: put back, ${(err as Error).message}`);
    await deferOutbound(store, entry._id, retryLater, (err as Error).message).catch(() => undefined);
    return;
  }
  dkimSignatures.inc({ result: signed.signed ? 'signed' : 'unsigned' });
  if (!signed.signed) log.warn(`outbound ${id}: sent unsigned, ${signed.why} (kura dkim <domain> --create makes a key)`);

  const outcomes = [...suppressed, ...(sendable.length > 0 ? await sendAll(entry, sendable, signed.raw, ctx) : [])];
  const result = settleAttempt(entry, outcomes, ctx.policy, new Date());
  for (const outcome of outcomes)
    deliveries.inc({ kind: entry.kind, result: suppressed.includes(outcome) ? 'suppressed' : outcome.result });
  for (const outcome of outcomes) {
    if (outcome.result !== 'failed' || suppressed.includes(outcome) || !isHardBounce(outcome)) continue;
    await suppressAddress(store, outcome.address, `${outcome.message}`, config.outbound.suppressionDays).then(
      () => suppressedTotal.inc(),
      (err: Error) => log.error(`outbound ${id}: could not suppress ${outcome.address}: ${err.message}`),
    );
  }
  if (result.status === 'queued' && (await isHeld(store, entry.user).catch(() => false))) result.status = 'held';
  const settled = await settleOutbound(store, entry._id, { ...result, rateCharged }).catch((err: Error) => {
    log.error(`outbound ${id}: result not recorded (${err.message}); the entry is tried again when its lease ends`);
    return false;
  });
  log.info(
    `outbound ${entry.kind} ${id}: ${outcomes.map((o) => `${o.address} ${o.result}${o.result === 'delivered' ? '' : ` (${o.message})`}`).join(', ')} → ${result.status}`,
  );
  if (!settled) return;
  if (JUDGED_KINDS.has(entry.kind)) await judgeSender(entry, outcomes, ctx);
  if (result.status === 'failed') {
    await deliverDsn(store, entry, result.failed, { hostname: config.hostname, timeoutMs: config.outbound.timeoutSeconds * 1000 }).catch(
      (err: Error) => log.warn(`outbound ${id}: bounce not stored yet (${err.message}); retried by the sweep`),
    );
  }
}

/** One SMTP transaction per recipient domain (in parallel), or a single one through the relay (the entry's own, else the configured one). */
async function sendAll(entry: ClaimedEntry, recipients: string[], raw: Buffer, ctx: EntryContext): Promise<RecipientOutcome[]> {
  const { config } = ctx;
  const options = { hostname: config.hostname, timeoutMs: config.outbound.timeoutSeconds * 1000 };
  const envelopeFor = (to: string[]) => ({ from: entry.envelope.from, to });
  if (entry.route) {
    try {
      return await sendSmtp(routePeer(entry.route), envelopeFor(recipients), raw, options);
    } catch (err) {
      const permanent = err instanceof RouteError && err.permanent;
      return recipients.map((address) => ({
        address,
        result: permanent ? 'failed' : 'deferred',
        code: 0,
        message: (err as Error).message,
      }));
    }
  }
  const relay = relayPeer(config);
  if (relay) return sendSmtp(relay, envelopeFor(recipients), raw, options);
  const byDomain = new Map<string, string[]>();
  for (const address of recipients) {
    const domain = domainOf(address) ?? '';
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), address]);
  }
  const groups = await Promise.all(
    [...byDomain].map(async ([domain, to]) => {
      try {
        const peer = await connectMx(domain, { resolve: ctx.resolve, port: config.outbound.mxPort, ...options });
        return await sendSmtp(peer, envelopeFor(to), raw, options);
      } catch (err) {
        const permanent = err instanceof RouteError && err.permanent;
        return to.map(
          (address): RecipientOutcome => ({ address, result: permanent ? 'failed' : 'deferred', code: 0, message: (err as Error).message }),
        );
      }
    }),
  );
  return groups.flat();
}

/** Adds the attempt to the sender's tally and holds them when too many of their recipients fail. */
async function judgeSender(entry: ClaimedEntry, outcomes: RecipientOutcome[], ctx: EntryContext): Promise<void> {
  const { hold } = ctx.config.outbound;
  const user = entry.user.toHexString();
  const counts = {
    delivered: outcomes.filter((o) => o.result === 'delivered').length,
    failed: outcomes.filter((o) => o.result === 'failed').length,
  };
  try {
    const tally = await recordSenderOutcomes(ctx.store.redis, user, counts, hold.windowSeconds);
    const reason = holdReason(tally, hold);
    if (!reason) return;
    if (await holdSender(ctx.store, entry.user, reason)) {
      holdsTotal.inc();
      // The alert: a log line at error level and kura_outbound_held_senders (rule KuraOutboundSenderHeld).
      ctx.log.error(`outbound: sender ${user} HELD for an operator: ${reason}; kura queue release ${user} lets the mail go`);
    }
  } catch (err) {
    ctx.log.warn(`outbound: sender tally for ${user} not updated (${(err as Error).message})`);
  }
}
