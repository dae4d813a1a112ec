import crypto from 'node:crypto';
import type { KuraConfig } from '@kura/config';
import { sealMessage } from 'mailauth/lib/arc/index.js';
import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { signingKeyFor } from './dkim-keys.js';
import type { ForwardCopy } from './filters.js';
import { enqueueOutbound } from './outbound.js';
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
  | { kind: 'forward'; result: 'queued' | 'deferred' | 'loop' | 'unsupported-target' }
  | { kind: 'arc-seal'; result: 'sealed' | 'no-key' | 'failed' };

export interface ForwardJob {
  store: Store;
  config: KuraConfig;
  userId: ObjectId;
  /** The delivery key of this copy: the same delivery retried queues the same forward once. */
  deliveryKey?: string;
  /** WildDuck's own per-user forward limit was reached (WildDuck would drop; Kura defers). */
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
 * domain's key (unsealed, with a log line, when the domain has none). Over a
 * sending limit the forward is queued for later, never dropped. Shared by the
 * MX and submission, so a forward is the same whichever way the mail came in.
 * Returns how many forwards were queued.
 */
export async function queueForwards(job: ForwardJob, copies: ForwardCopy[]): Promise<number> {
  const { hostname } = job.config;
  const count = job.count ?? (() => undefined);
  let queued = 0;
  for (const [index, copy] of copies.entries()) {
    const to = copy.targets.filter((t) => t.type === 'mail').map((t) => t.value.replace(/\?.*$/, ''));
    for (const other of copy.targets.filter((t) => t.type !== 'mail')) {
      job.log('forward target not supported: only mail addresses are forwarded to', { type: other.type, target: other.value });
      count({ kind: 'forward', result: 'unsupported-target' });
    }
    if (to.length === 0) continue;
    const hops = job.forwardedBy.filter((v) => v.trim().toLowerCase() === hostname.toLowerCase()).length;
    if (hops >= MAX_FORWARD_HOPS) {
      job.log('not forwarded again: forward loop', { hops, to: to.join(',') });
      count({ kind: 'forward', result: 'loop' });
      continue;
    }
    const domain = copy.recipient.slice(copy.recipient.lastIndexOf('@') + 1).toLowerCase();
    const marked = Buffer.concat([Buffer.from(`${FORWARD_HEADER}: ${hostname}\r\n`), copy.raw]);
    const raw = await seal(job, domain, marked);
    const limit = await forwardAllowed(job, domain, to.length);
    const deferred = job.overForwardLimit || !limit.allowed;
    await enqueueOutbound(job.store, {
      _id: forwardId(job, index, copy),
      user: job.userId,
      kind: 'forward',
      envelope: { from: srsFor(job.config).forward(copy.from), to },
      raw,
      // Charged here, before the 250: the delivery agent does not charge it again. A deferred one it charges when it sends.
      ...(deferred ? { nextAttemptAt: new Date(Date.now() + (limit.retryAfterMs ?? DEFER_MS)) } : { rateCharged: true }),
    });
    job.log(deferred ? 'forward queued for later: over the sending limit' : 'forward queued', { to: to.join(','), hops });
    count({ kind: 'forward', result: deferred ? 'deferred' : 'queued' });
    queued++;
  }
  return queued;
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
function forwardId(job: ForwardJob, index: number, copy: ForwardCopy): ObjectId {
  if (!job.deliveryKey) return new ObjectId();
  const targets = copy.targets.map((t) => `${t.type}:${t.value}`).join(',');
  const digest = crypto.createHash('sha256').update(`forward\n${job.deliveryKey}\n${index}\n${targets}`).digest();
  return new ObjectId(digest.subarray(0, 12));
}
