import crypto from 'node:crypto';
import { enqueueOutbound, type ForwardCopy, type Store, signingKeyFor } from '@kura/store';
import { sealMessage } from 'mailauth/lib/arc/index.js';
import { ObjectId } from 'mongodb';
import type { AuthOutcome } from './authentication.js';
import { type ForwardLimit, forwardAllowed } from './forward-limit.js';
import { arcSeals, forwards } from './forward-metrics.js';
import type { HarakaTransaction } from './haraka.js';
import { srsFor } from './srs-config.js';
import { inboundConfig } from './store-handle.js';

/** Kura writes one of these on every forward it sends; it counts the times Kura forwarded the message. */
export const FORWARD_HEADER = 'X-Kura-Forwarded';
/** A message Kura already forwarded this often is stored but not forwarded again: a loop ends without a bounce. */
export const MAX_FORWARD_HOPS = 3;

/** How long a forward over a sending limit waits before its first attempt. */
const DEFER_MS = 3600_000;

export interface ForwardJob {
  store: Store;
  txn: HarakaTransaction;
  userId: ObjectId;
  /** The delivery key of this copy: the same delivery retried queues the same forward once. */
  deliveryKey?: string;
  /** WildDuck's own per-user forward limit was reached (WildDuck would drop; Kura defers). */
  overForwardLimit: boolean;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Queues what the user's forwarding targets and filters forward, in Kura's
 * durable outbound queue, before the message is acknowledged: envelope sender
 * SRS-rewritten (SPF passes downstream), a loop marker, an ARC seal over Kura's
 * own verdicts with the domain's key (unsealed, with a log line and a metric,
 * when the domain has none). Over a sending limit the forward is queued for
 * later, never dropped. Returns how many forwards were queued.
 */
export async function queueForwards(job: ForwardJob, copies: ForwardCopy[]): Promise<number> {
  const { hostname } = inboundConfig();
  let queued = 0;
  for (const [index, copy] of copies.entries()) {
    const to = copy.targets.filter((t) => t.type === 'mail').map((t) => t.value.replace(/\?.*$/, ''));
    for (const other of copy.targets.filter((t) => t.type !== 'mail')) {
      job.log('forward target not supported: only mail addresses are forwarded to', { type: other.type, target: other.value });
      forwards.inc({ result: 'unsupported-target' });
    }
    if (to.length === 0) continue;
    const hops = job.txn.header.get_all(FORWARD_HEADER).filter((v) => v.trim().toLowerCase() === hostname.toLowerCase()).length;
    if (hops >= MAX_FORWARD_HOPS) {
      job.log('not forwarded again: forward loop', { hops, to: to.join(',') });
      forwards.inc({ result: 'loop' });
      continue;
    }
    const domain = copy.recipient.slice(copy.recipient.lastIndexOf('@') + 1).toLowerCase();
    const marked = Buffer.concat([Buffer.from(`${FORWARD_HEADER}: ${hostname}\r\n`), copy.raw]);
    const raw = await seal(job, domain, marked);
    const limit: ForwardLimit = await forwardAllowed(job.store, job.userId, domain, to.length);
    const deferred = job.overForwardLimit || !limit.allowed;
    await enqueueOutbound(job.store, {
      _id: forwardId(job, index, copy),
      user: job.userId,
      kind: 'forward',
      envelope: { from: srsFor(inboundConfig()).forward(copy.from), to },
      raw,
      // Charged here, before the 250: the delivery agent does not charge it again. A deferred one it charges when it sends.
      ...(deferred ? { nextAttemptAt: new Date(Date.now() + (limit.retryAfterMs ?? DEFER_MS)) } : { rateCharged: true }),
    });
    job.log(deferred ? 'forward queued for later: over the sending limit' : 'forward queued', { to: to.join(','), hops });
    forwards.inc({ result: deferred ? 'deferred' : 'queued' });
    queued++;
  }
  return queued;
}

/** ARC seal (RFC 8617) over the verdicts Kura computed at DATA, with the forwarding domain's key. */
async function seal(job: ForwardJob, domain: string, raw: Buffer): Promise<Buffer> {
  // A key that cannot be read (wrong dkim secret) must not hold the forward back: it goes unsealed.
  const key = await signingKeyFor(job.store, domain).catch((err: Error) => {
    job.log('forward sent without an ARC seal: the signing key cannot be read', { domain, error: err.message });
    arcSeals.inc({ result: 'failed' });
    return undefined;
  });
  if (key === undefined) return raw;
  if (!key) {
    job.log('forward sent without an ARC seal: no signing key for the domain', { domain });
    arcSeals.inc({ result: 'no-key' });
    return raw;
  }
  const { hostname } = inboundConfig();
  const auth = job.txn.notes['kura.auth'] as AuthOutcome | undefined;
  const hasChain = job.txn.header.get_all('ARC-Seal').length > 0;
  // ARC's chain validation result is none, pass or fail; a chain Kura could not judge counts as failed.
  const cv = auth && ['none', 'pass', 'fail'].includes(auth.verdicts.arc) ? auth.verdicts.arc : hasChain ? 'fail' : 'none';
  try {
    // mailauth's typings omit the seal's verdict fields, which its sealing reads (authResults, cv).
    const options = {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      authResults: auth?.header ?? `${hostname}; none`,
      cv,
    };
    const headers: Buffer = await sealMessage(raw, options as Parameters<typeof sealMessage>[1]);
    if (headers.length === 0) throw new Error('the key could not sign');
    arcSeals.inc({ result: 'sealed' });
    return Buffer.concat([headers, raw]);
  } catch (err) {
    job.log('forward sent without an ARC seal: sealing failed', { domain, error: (err as Error).message });
    arcSeals.inc({ result: 'failed' });
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
