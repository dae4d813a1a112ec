import type { KuraConfig } from '@kura/config';
import {
  autoReplyAfterDelivery,
  type DeliveryReceipt,
  decideDelivery,
  deliverToInbox,
  FORWARD_HEADER,
  type Placement,
  queueForwards,
  type Store,
} from '@kura/store';
import { ObjectId } from 'mongodb';
import type { Logger } from 'pino';
import { localSideEffects } from './metrics.js';
import { headerFields } from './senders.js';

export interface LocalCopy {
  userId: string;
  recipient: string;
  username: string;
  envelopeFrom: string;
  /** The message as stored (trace fields included). */
  raw: Buffer;
  queueId: string;
  clientIp: string;
  deliveryKey: string;
  timeoutMs: number;
  duplicateWindowMs: number;
  /** The message as the filter handling parsed it, shared by every local recipient of the submission. */
  parsed: { mimeTree?: unknown; maildata?: unknown };
}

/**
 * Delivers a submitted message to one local colleague the way the MX delivers
 * mail from outside: WildDuck's filter handling decides folder, flags and
 * forwards (the store's `decideDelivery`); forwards are queued durably (SRS,
 * ARC, idempotent by delivery key) before the copy is stored; after a new copy,
 * the colleague's vacation reply follows the same RFC 3834 rules.
 */
export async function deliverLocal(store: Store, config: KuraConfig, copy: LocalCopy, log: Logger): Promise<DeliveryReceipt> {
  const fields = headerFields(copy.raw).map((f) => ({ name: f.name, value: Buffer.from(f.value, 'latin1').toString('utf8') }));
  const header = (name: string) => fields.find((f) => f.name === name)?.value ?? '';
  const userId = new ObjectId(copy.userId);
  let spam = false;
  const place = async (): Promise<Placement> => {
    const decision = await decideDelivery(store, {
      userId,
      raw: copy.raw,
      envelopeFrom: copy.envelopeFrom,
      recipient: copy.recipient,
      // Submission mail is not scanned: it comes from an authenticated local user.
      spamAction: 'no action',
      log: (entry) => log.debug({ queueId: copy.queueId, rcpt: copy.recipient, ...entry }, 'filter handling'),
      parsed: copy.parsed,
    });
    // The account went away between RCPT and now: stored in INBOX, as before.
    if (!decision) return { target: { path: 'INBOX' }, flags: [] };
    spam = decision.spam;
    if (decision.forwards.length > 0) {
      await queueForwards(
        {
          store,
          config,
          userId,
          deliveryKey: copy.deliveryKey,
          overForwardLimit: decision.overForwardLimit,
          forwardedBy: fields.filter((f) => f.name === FORWARD_HEADER.toLowerCase()).map((f) => f.value),
          // What Kura knows of a submission: the sender authenticated (RFC 8601 smtp.auth); no ARC chain was judged.
          arc: { authResults: `${config.hostname}; auth=pass smtp.auth=${copy.username}`, cv: 'none' },
          log: (message, extra) => log.info({ queueId: copy.queueId, rcpt: copy.recipient, ...extra }, message),
          count: (event) => localSideEffects.inc({ kind: event.kind, result: event.result }),
        },
        decision.forwards,
      );
    }
    return { target: decision.target, flags: decision.flags, filters: decision.filters, drop: decision.drop };
  };
  const receipt = await deliverToInbox(store, {
    userId,
    raw: copy.raw,
    envelopeFrom: copy.envelopeFrom,
    recipient: copy.recipient,
    queueId: copy.queueId,
    remoteAddress: copy.clientIp,
    timeoutMs: copy.timeoutMs,
    deliveryKey: copy.deliveryKey,
    duplicateWindowMs: copy.duplicateWindowMs,
    place,
  });
  // A retried submission finds its copy stored and replies no second time; a filter's spam verdict gets no reply either.
  if (!receipt.duplicate && !spam) {
    // The copy is safe; an auto-reply problem must not turn the 250 into a retry.
    try {
      const outcome = await autoReplyAfterDelivery(store, config, {
        recipient: copy.recipient,
        userId,
        envelopeFrom: copy.envelopeFrom,
        header,
        // Submission mail is never scanned by rspamd: it comes from an authenticated local user, who is accountable
        // for it, so it counts as clean for the rule that replies only to scanned-clean mail.
        scan: 'clean',
      });
      if (outcome.result !== 'none') {
        localSideEffects.inc({ kind: 'autoreply', result: outcome.result });
        log.info(
          {
            queueId: copy.queueId,
            rcpt: copy.recipient,
            to: copy.envelopeFrom,
            ...('reason' in outcome ? { reason: outcome.reason } : {}),
          },
          outcome.result === 'queued' ? 'auto-reply queued' : 'no auto-reply',
        );
      }
    } catch (err) {
      localSideEffects.inc({ kind: 'autoreply', result: 'failed' });
      log.error({ queueId: copy.queueId, rcpt: copy.recipient, err: (err as Error).message }, 'auto-reply failed');
    }
  }
  return receipt;
}
