import { deliverToInbox, type SharedParse, TemporaryStoreError, withTimeout } from '@kura/store';
import { ObjectId } from 'mongodb';
import { maybeAutoReply } from './autoreply.js';
import { codes, dsn } from './codes.js';
import { deliveryKey, messageFingerprint } from './fingerprint.js';
import { forwardedAddresses, queueForwardedAddresses } from './forwarded-addresses.js';
import type { HarakaConnection, Next } from './haraka.js';
import { Lane, LaneTimeoutError } from './lanes.js';
import { FINGERPRINT, JUNK } from './loops.js';
import { messageBytes } from './message-bytes.js';
import { deliverySeconds, messageVerdicts, trackLane } from './metrics.js';
import { type PlacementOutcome, placeWithFilters } from './placement.js';
import { ACCEPTED } from './recipients.js';
import { queueSrsReturns, SRS_RETURNS } from './srs-returns.js';
import { getStore, inboundConfig } from './store-handle.js';

/**
 * QUEUE: store one copy per accepted recipient, placed by the user's WildDuck
 * filters and spam level, queue the forwards those settings ask for, and
 * answer 250 only once every copy and every forward is acknowledged by the
 * database. Any doubt answers 451 so the sender keeps the message and retries.
 */
export async function deliverMessage(plugin: unknown, next: Next, connection: HarakaConnection) {
  const txn = connection.transaction;
  if (!txn) return next();
  const accepted = (txn.notes[ACCEPTED] ?? {}) as Record<string, string>;
  const recipients = Object.entries(accepted);
  const srsReturns = Object.keys((txn.notes[SRS_RETURNS] ?? {}) as Record<string, string>);
  const forwarded = forwardedAddresses(txn);
  if (recipients.length + srsReturns.length + forwarded.length === 0) return next();

  try {
    // the message exactly as received (dot-unstuffed, CRLF line endings), trace headers included
    const raw = await messageBytes(txn);
    const store = await getStore();
    const { smtp } = inboundConfig();
    const started = Date.now();
    const fingerprint = (txn.notes[FINGERPRINT] as string | undefined) ?? messageFingerprint(txn, raw);
    const lane = laneFor(raw.length);
    // Parsed once, shared by every recipient of the message and by filtering and storing each copy.
    const parsed: SharedParse = {};
    // Lane wait, then one delivery budget for every copy: the phase ends within hookTimeouts().queue.
    // Past the deadline no further copy is started, so a 451 leaves no delivery running behind it.
    const storeAll = async (deadline: number) => {
      for (const [recipient, userId] of recipients) {
        const left = deadline - Date.now();
        if (left <= 0) throw new TemporaryStoreError(`storing every copy took over ${smtp.deliveryTimeoutMs} ms`, 'timeout');
        const key = deliveryKey(fingerprint, txn.mail_from.address, recipient);
        const outcome: PlacementOutcome = { spam: false, forwards: 0, filters: [], filterMs: 0 };
        const user = new ObjectId(userId);
        const job = { plugin, connection, txn, store, raw, recipient, userId: user, deliveryKey: key, parsed };
        const receipt = await deliverToInbox(store, {
          userId: user,
          raw,
          envelopeFrom: txn.mail_from.address,
          recipient,
          queueId: txn.uuid,
          remoteAddress: connection.remote.ip,
          timeoutMs: left,
          deliveryKey: key,
          junk: txn.notes[JUNK] === true,
          duplicateWindowMs: smtp.duplicateWindowMs,
          place: placeWithFilters(job, outcome),
          parsed,
        });
        const what = receipt.dropped ? 'deleted by a filter' : receipt.duplicate ? 'already stored by an earlier attempt' : 'stored';
        connection.loginfo(
          plugin,
          `${what} for ${recipient}: message=${receipt.messageId} uid=${receipt.uid} size=${receipt.size} forwards=${outcome.forwards} filter_ms=${outcome.filterMs}`,
        );
        // WildDuck never auto-replies to what the user's spam level or filters call spam.
        if (!receipt.duplicate && !outcome.spam) {
          // The message is safe; an auto-reply problem must not turn its 250 into a retry.
          await maybeAutoReply(plugin, connection, txn, store, recipient, userId).catch((err: Error) =>
            connection.logerror(plugin, `auto-reply for ${recipient} failed: ${err.message}`),
          );
        }
      }
      // Mail for no mailbox of this MX: forwarded addresses and bounces to SRS addresses, queued onwards.
      if (srsReturns.length + forwarded.length > 0) {
        if (deadline - Date.now() <= 0)
          throw new TemporaryStoreError(`storing every copy took over ${smtp.deliveryTimeoutMs} ms`, 'timeout');
        await queueForwardedAddresses(plugin, connection, store, txn, raw, fingerprint);
        await queueSrsReturns(store, txn, raw, fingerprint);
        if (srsReturns.length > 0) connection.loginfo(plugin, `returned to the original senders of ${srsReturns.join(', ')}`);
      }
    };
    await lane.run(raw.length, smtp.laneWaitTimeoutMs, () =>
      withTimeout(storeAll(Date.now() + smtp.deliveryTimeoutMs), smtp.deliveryTimeoutMs, 'storing every copy'),
    );
    txn.results.add(plugin, {
      pass: 'stored',
      lane: lane.options.name,
      recipients: recipients.length,
      forwarded_addresses: forwarded.length,
      srs_returns: srsReturns.length,
      ms: Date.now() - started,
    });
    deliverySeconds.observe({ lane: lane.options.name }, (Date.now() - started) / 1000);
    messageVerdicts.inc({ result: 'accepted', reason: 'stored' });
    return next(codes.OK, 'Message stored');
  } catch (err) {
    connection.logerror(plugin, `delivery failed, answering 451: ${(err as Error).message}`);
    txn.results.add(plugin, { fail: 'store', err: (err as Error).message });
    messageVerdicts.inc({ result: 'tempfailed', reason: err instanceof LaneTimeoutError ? 'lane-timeout' : 'store' });
    // Haraka answers DENYSOFT from the queue hook with a fixed 450; CONT from
    // the last queue plugin (Kura's is the only one) answers 451 with our text.
    return next(codes.CONT, dsn.sys_unspecified('Mail store temporarily unavailable, try again later', 451));
  }
}

let largeLane: Lane | undefined;

/** Large messages share one bounded lane per MX process; everything else goes straight through. */
function laneFor(bytes: number): Lane {
  const { smtp } = inboundConfig();
  if (!largeLane) {
    largeLane = new Lane({ name: 'large', ...smtp.largeLane });
    trackLane(largeLane);
  }
  return bytes > smtp.largeMessageBytes ? largeLane : directLane;
}

const directLane = new Lane({ name: 'small', concurrency: Number.POSITIVE_INFINITY, bytesInFlight: Number.POSITIVE_INFINITY });
trackLane(directLane);
