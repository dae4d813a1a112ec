import crypto from 'node:crypto';
import type { KuraConfig } from '@kura/config';
import { sealMessage } from 'mailauth/lib/arc/index.js';
import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { signingKeyFor } from './dkim-keys.js';
import type { ForwardCopy } from './filters.js';
import { enqueueOutbound } from './outbound.js';
import { maskCredentials } from './outbound-admin.js';
import { checkSendRate } from './send-limits.js';
import { srsFor } from './srs-config.js';

/** Kura writes one of these on every forward it sends; it counts the times Kura forwarded the message. */
export const FORWARD_HEADER = 'X-Kura-Forwarded';
/** A message Kura already forwarded this often is stored but not forwarded again: a loop ends without a bounce. */
export const MAX_FORWARD_HOPS = 3;

/** How long a forward over a sending limit waits before its first attempt. */
const DEFER_MS = 3600_000;

/** What became of one forward or one ARC seal, for the caller's metrics. */
export type ForwardEvent =
  | { kind: 'forward'; result: 'queued' | 'deferred' | 'over-limit' | 'loop' | 'unsupported-target' }
  | { kind: 'arc-seal'; result: 'sealed' | 'no-key' | 'failed' };

export interface ForwardJob {
  store: Store;
  config: KuraConfig;
  userId: ObjectId;
  /** The delivery key of this copy: the same delivery retried queues the same forward once. */
  deliveryKey?: string;
  /** WildDuck's own per-user forward limit was reached: the forward is not sent (as in WildDuck), the copy is kept. */
  overForwardLimit: boolean;
  /** Values of the message's X-Kura-Forwarded header fields (loop count). */
  forwardedBy: string[];
  /** The verdicts the ARC seal carries: Authentication-Results value and chain validation (none, pass, fail). */
  arc: { authResults: string; cv: 'none' | 'pass' | 'fail' };
  log: (message: string, fields?: Record<string, unknown>) => void;
  count?: (event: ForwardEvent) => void;
}

/**
 * Queues what the user's forwarding targets and filters forward, in Kura's
 * durable outbound queue, before the message is acknowledged: envelope sender
 * SRS-rewritten (SPF passes downstream), a loop marker, an ARC seal with the
 * domain's key (unsealed, with a log line, when the domain has none). Mail
 * targets go in one entry; each `relay` target (smtp:// URL) in its own entry
 * addressed to the recipient and sent through that server, as WildDuck does;
 * `http` targets (webhooks) are not sent, with a log line and a metric. Over
 * Kura's sending budget a forward is queued for later; over the user's own
 * forward limit (WildDuck's `forwards` per 24 h) it is not sent, as in
 * WildDuck. The local copy is stored either way. Shared by the MX and
 * submission, so a forward is the same whichever way the mail came in.
 * Returns how many forwards were queued.
 */
export async function queueForwards(job: ForwardJob, copies: ForwardCopy[]): Promise<number> {
  const { hostname } = job.config;
  const count = job.count ?? (() => undefined);
  let queued = 0;
  for (const [index, copy] of copies.entries()) {
    for (const hook of copy.targets.filter((t) => t.type !== 'mail' && t.type !== 'relay')) {
      job.log('forward target not supported: Kura sends no webhook (http) forwards; the copy is stored', {
        type: hook.type,
        target: maskCredentials(hook.value),
      });
      count({ kind: 'forward', result: 'unsupported-target' });
    }
    const routes = routesOf(copy);
    if (routes.length === 0) continue;
    if (job.overForwardLimit) {
      // WildDuck's own limit (users.forwards, counted in Redis as wdf:<user>): like WildDuck, no forward; the copy stays.
      job.log("forward not sent: the user's forward limit for 24 hours is reached", { to: routes.map((r) => r.label).join(',') });
      for (const _ of routes) count({ kind: 'forward', result: 'over-limit' });
      continue;
    }
    const hops = job.forwardedBy.filter((v) => v.trim().toLowerCase() === hostname.toLowerCase()).length;
    if (hops >= MAX_FORWARD_HOPS) {
      job.log('not forwarded again: forward loop', { hops, to: routes.map((r) => r.label).join(',') });
      count({ kind: 'forward', result: 'loop' });
      continue;
    }
    const domain = copy.recipient.slice(copy.recipient.lastIndexOf('@') + 1).toLowerCase();
    const marked = Buffer.concat([Buffer.from(`${FORWARD_HEADER}: ${hostname}\r\n`), copy.raw]);
    const raw = await seal(job, domain, marked);
    for (const [n, route] of routes.entries()) {
      const limit = await forwardAllowed(job, domain, route.to.length);
      await enqueueOutbound(job.store, {
        _id: forwardId(job, index, copy, n),
        user: job.userId,
        kind: 'forward',
        envelope: { from: srsFor(job.config).forward(copy.from), to: route.to },
        raw,
        ...(route.relay ? { route: route.relay } : {}),
        // Charged here, before the 250: the delivery agent does not charge it again. A deferred one it charges when it sends.
        ...(limit.allowed ? { rateCharged: true } : { nextAttemptAt: new Date(Date.now() + (limit.retryAfterMs ?? DEFER_MS)) }),
      });
      job.log(limit.allowed ? 'forward queued' : 'forward queued for later: over the sending limit', { to: route.label, hops });
      count({ kind: 'forward', result: limit.allowed ? 'queued' : 'deferred' });
      queued++;
    }
  }
  return queued;
}

/** One queue entry per route: every mail target together, and each relay target by itself. */
function routesOf(copy: ForwardCopy): Array<{ to: string[]; relay?: string; label: string }> {
  const mail = copy.targets.filter((t) => t.type === 'mail').map((t) => t.value.replace(/\?.*$/, ''));
  const relays = copy.targets.filter((t) => t.type === 'relay');
  return [
    // Mail targets through the user's mtaRelay when WildDuck has one for the user, else as all outbound mail goes.
    ...(mail.length > 0 ? [{ to: mail, label: mail.join(','), ...(copy.mtaRelay ? { relay: copy.mtaRelay } : {}) }] : []),
    // The recipient's own address, delivered through the user's server; the label leaves out any credentials.
    ...relays.map((t) => ({
      to: [copy.recipient],
      relay: t.value,
      label: `${copy.recipient} via ${maskCredentials(t.value)}`,
    })),
  ];
}

/**
 * Charges a forward to `count` targets against the user's and the forwarding
 * domain's hourly sending budgets (shared with every other mail Kura sends for
 * them). Over the limit the forward is still queued, for when the budget has room.
 */
async function forwardAllowed(job: ForwardJob, domain: string, count: number): Promise<{ allowed: boolean; retryAfterMs?: number }> {
  const { perUserPerHour, perDomainPerHour } = job.config.outbound;
  const verdict = await checkSendRate(
    job.store.redis,
    { perUserPerHour, perDomainPerHour },
    { user: job.userId.toHexString(), domain },
    count,
  );
  return verdict.allowed ? { allowed: true } : { allowed: false, retryAfterMs: verdict.retryAfterSeconds * 1000 };
}

/** ARC seal (RFC 8617) over the verdicts the caller computed, with the forwarding domain's key. */
async function seal(job: ForwardJob, domain: string, raw: Buffer): Promise<Buffer> {
  const count = job.count ?? (() => undefined);
  // A key that cannot be read (wrong dkim secret) must not hold the forward back: it goes unsealed.
  const key = await signingKeyFor(job.store, domain).catch((err: Error) => {
    job.log('forward sent without an ARC seal: the signing key cannot be read', { domain, error: err.message });
    count({ kind: 'arc-seal', result: 'failed' });
    return undefined;
  });
  if (key === undefined) return raw;
  if (!key) {
    job.log('forward sent without an ARC seal: no signing key for the domain', { domain });
    count({ kind: 'arc-seal', result: 'no-key' });
    return raw;
  }
  try {
    // mailauth's typings omit the seal's verdict fields, which its sealing reads (authResults, cv).
    const options = {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      authResults: job.arc.authResults,
      cv: job.arc.cv,
    };
    const headers: Buffer = await sealMessage(raw, options as Parameters<typeof sealMessage>[1]);
    if (headers.length === 0) throw new Error('the key could not sign');
    count({ kind: 'arc-seal', result: 'sealed' });
    return Buffer.concat([headers, raw]);
  } catch (err) {
    job.log('forward sent without an ARC seal: sealing failed', { domain, error: (err as Error).message });
    count({ kind: 'arc-seal', result: 'failed' });
    return raw;
  }
}

/** The same delivery (delivery key), the same copy: the same queue entry, so a retry cannot queue it twice. */
function forwardId(job: ForwardJob, index: number, copy: ForwardCopy, route: number): ObjectId {
  if (!job.deliveryKey) return new ObjectId();
  const targets = copy.targets.map((t) => `${t.type}:${t.value}`).join(',');
  // The first route keeps the id it had before relay targets existed, so an entry queued then is still recognised.
  const suffix = route === 0 ? '' : `\n${route}`;
  const digest = crypto.createHash('sha256').update(`forward\n${job.deliveryKey}\n${index}\n${targets}${suffix}`).digest();
  return new ObjectId(digest.subarray(0, 12));
}
