import crypto from 'node:crypto';
import type { KuraConfig } from '@kura/config';
import { enqueueOutbound, type Store, TemporaryStoreError, withTimeout } from '@kura/store';
import { ObjectId } from 'mongodb';
import type { Logger } from 'pino';
import { deliverLocal } from './local.js';
import { headerFields } from './senders.js';

/** One accepted submission, ready to be stored and queued. */
export interface Submission {
  /** The authenticated user (hex id) and login name. */
  userId: string;
  username: string;
  envelopeFrom: string;
  /** Recipients WildDuck knows: address → user id (hex). */
  local: Map<string, string>;
  /** Everyone else: the outbound queue delivers to them. */
  remote: string[];
  /** The message as the client sent it (dot-unstuffed). */
  raw: Buffer;
  queueId: string;
  clientIp: string;
  /** TLS protocol of the session (e.g. TLSv1.3), for the Received header. */
  tlsProtocol?: string;
}

export interface Accepted {
  stored: number;
  duplicates: number;
  queued: number;
  outboundId?: string;
}

/**
 * Makes a submission durable before its 250: every local recipient's copy is
 * stored as inbound mail is (the recipient's filters, forwards queued first,
 * majority write, duplicate guard, then the vacation reply; see local.ts),
 * then the remote recipients go into the outbound queue as one entry. Locals go first so that a retry after a failure finds
 * them already stored (the duplicate guard answers them) and only then queues
 * the remote part; the other order would send remote copies twice. Any store
 * trouble throws TemporaryStoreError (answered 451).
 */
export async function acceptSubmission(store: Store, config: KuraConfig, sub: Submission, log: Logger): Promise<Accepted> {
  const { deliveryTimeoutMs, duplicateWindowMs } = config.smtp;
  const raw = withTraceFields(config, sub);
  const fingerprint = crypto.createHash('sha256').update(sub.raw).digest('hex');
  const deadline = Date.now() + deliveryTimeoutMs;
  const result: Accepted = { stored: 0, duplicates: 0, queued: 0 };
  const parsed = {};
  for (const [recipient, userId] of sub.local) {
    const left = deadline - Date.now();
    if (left <= 0) throw new TemporaryStoreError(`storing every local copy took over ${deliveryTimeoutMs} ms`, 'timeout');
    const receipt = await withTimeout(
      deliverLocal(
        store,
        config,
        {
          userId,
          recipient,
          username: sub.username,
          envelopeFrom: sub.envelopeFrom,
          raw,
          queueId: sub.queueId,
          clientIp: sub.clientIp,
          deliveryKey: `submission:${crypto.createHash('sha256').update(`${fingerprint}\0${sub.envelopeFrom}\0${recipient}`).digest('hex')}`,
          timeoutMs: left,
          duplicateWindowMs,
          parsed,
        },
        log,
      ),
      left,
      `storing the copy for ${recipient}`,
    );
    if (receipt.duplicate) result.duplicates++;
    else result.stored++;
  }
  if (sub.remote.length > 0) {
    const left = Math.max(1, deadline - Date.now());
    try {
      const id = await withTimeout(
        enqueueOutbound(store, {
          user: new ObjectId(sub.userId),
          kind: 'submission',
          envelope: { from: sub.envelopeFrom, to: sub.remote },
          raw,
        }),
        left,
        'queueing for remote recipients',
      );
      result.queued = sub.remote.length;
      result.outboundId = id.toHexString();
    } catch (err) {
      if (err instanceof TemporaryStoreError) throw err;
      throw new TemporaryStoreError(`queueing for remote recipients failed: ${(err as Error).message}`, 'write-failed', { cause: err });
    }
  }
  return result;
}

/**
 * The message as it is stored and sent: Kura's Received line on top (RFC 5321
 * 4.4; "ESMTPSA": authenticated, over TLS, RFC 3848) and, when the client left
 * them out, Date and Message-ID (RFC 6409 8.2, 8.3). The client's address
 * appears only with `submission.revealClientIp`: by default a user's home or
 * mobile address does not travel to every recipient.
 */
export function withTraceFields(config: KuraConfig, sub: Submission): Buffer {
  const now = new Date();
  const fields = headerFields(sub.raw);
  const has = (name: string) => fields.some((f) => f.name === name);
  const from = config.submission.revealClientIp ? `from [${sub.clientIp}] ` : '';
  const tls = sub.tlsProtocol ? ` (${sub.tlsProtocol})` : '';
  const lines = [`Received: ${from}by ${config.hostname} (Kura submission) with ESMTPSA${tls} id ${sub.queueId};\r\n\t${rfc5322Date(now)}`];
  if (!has('date')) lines.push(`Date: ${rfc5322Date(now)}`);
  if (!has('message-id')) lines.push(`Message-ID: <${sub.queueId}@${config.hostname}>`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n`), sub.raw]);
}

/** "Sun, 29 Nov 2026 20:05:37 +0000" (RFC 5322 3.3, UTC). */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
