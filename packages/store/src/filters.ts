import { Writable } from 'node:stream';
import { ObjectId } from 'mongodb';
import type { Store } from './connect.js';
import { type SharedParse, sourceTree } from './parsed-message.js';
import { createFilterHandler, type WildDuckMessageHandler } from './wildduck.js';

/** Where WildDuck's filter handling puts a message: a path, a special-use folder, or a mailbox by id. */
export type MailboxTarget = { path: string } | { specialUse: string } | { mailbox: ObjectId };

/** A copy WildDuck's filter handling would hand to its outbound queue (a forward). */
export interface ForwardCopy {
  /** Envelope sender of the message being forwarded ('' for a bounce). */
  from: string;
  /** The recipient whose settings forward it. */
  recipient: string;
  targets: Array<{ type: string; value: string }>;
  /** The user's `mtaRelay` (smtp:// URL): WildDuck sends the user's mail forwards through it instead of the MX. */
  mtaRelay?: string;
  /** The message exactly as given to the filter handling (encrypted when the user has encryptForwarded). */
  raw: Buffer;
}

/** What WildDuck would do with one message for one user. */
export interface FilterDecision {
  target: MailboxTarget;
  flags: string[];
  /** Ids of the user's filters that matched. */
  filters: string[];
  /** A filter's delete action: no local copy. */
  drop: boolean;
  spam: boolean;
  forwards: ForwardCopy[];
  /** The user's own forward limit (WildDuck's `forwards` per 24 h) was reached: these forwards are not to be sent. */
  overForwardLimit: boolean;
}

export interface FilterRequest {
  userId: ObjectId;
  raw: Buffer;
  envelopeFrom: string;
  recipient: string;
  /**
   * The scanner's verdict in rspamd's action names ('no action', 'add header', 'rewrite subject', 'reject'),
   * weighed against the user's spamLevel the way WildDuck does.
   */
  spamAction: string;
  log?: (entry: Record<string, unknown>) => void;
  /**
   * The parsed message, shared by the recipients of one transaction (as haraka-plugin-wildduck
   * shares it) and with storing the copy: the message is parsed once, not once per recipient and step.
   */
  parsed?: SharedParse;
}

/**
 * Runs WildDuck's own filter handling (lib/filter-handler.js, as haraka-plugin-wildduck
 * calls it) for one recipient, with a message handler that records instead of
 * storing and a maildrop that records forwards instead of queueing them for
 * ZoneMTA. The caller stores the copy and queues the forwards itself, so Kura's
 * guarantees hold: the exact bytes, the delivery key, 250 only once all is durable.
 *
 * Two things of WildDuck's are deliberately not taken over here: its duplicate
 * check by Message-ID and Date (it merges distinct messages; Kura's delivery key
 * recognises retries instead) and the Delivered-To/Return-Path lines it prepends.
 * Over the user's forward limit the forwards are still recorded (so the log can
 * name them) and flagged; the caller does not send them, as WildDuck would not.
 */
export async function decideDelivery(store: Store, request: FilterRequest): Promise<FilterDecision | null> {
  let stored: Record<string, unknown> | undefined;
  const forwards: ForwardCopy[] = [];
  let overForwardLimit = false;
  const real = store.messages as WildDuckMessageHandler & {
    counters: { ttlcounter(key: string, count: number, max: number, window: unknown, cb: (e: Error | null, r?: unknown) => void): void };
  };
  const recorder = Object.create(real) as Record<string, unknown>;
  recorder.counters = {
    // Over the user's forward limit WildDuck skips the forward; it is recorded here and flagged, and queueForwards skips it.
    ttlcounter(key: string, count: number, max: number, window: unknown, cb: (e: Error | null, r?: unknown) => void) {
      real.counters.ttlcounter(key, count, max, window, (err, result) => {
        if (!err && !(result as { success?: boolean }).success) overForwardLimit = true;
        cb(null, { ...(result as object), success: true });
      });
    },
  };
  // Skips WildDuck's Message-ID + Date duplicate check (an error there is ignored by design).
  recorder.getMailboxAsync = async () => {
    throw new Error('duplicates are recognised by the delivery key');
  };
  recorder.addAsync = async (options: Record<string, unknown>) => {
    stored = options;
    return { status: true, data: { id: new ObjectId(), mailbox: new ObjectId(), uid: 0, size: request.raw.length } };
  };
  const handler = createFilterHandler(store.db, recorder, request.log ?? (() => undefined));
  handler.maildrop = { push: (mail: Record<string, unknown>, done: PushCallback) => recordForward(mail, done, forwards) };

  const userData = await new Promise<Record<string, unknown> | false | undefined>((resolve, reject) =>
    handler.getUserData(request.userId.toHexString(), (err, data) => (err ? reject(err) : resolve(data))),
  );
  if (!userData) return null;
  const { response, prepared } = await handler.storeMessage(userData, {
    sender: request.envelopeFrom,
    recipient: request.recipient,
    chunks: [request.raw],
    chunklen: request.raw.length,
    // the first recipient's filter handling copies the source tree (WildDuck copies a tree it is given)
    ...(request.parsed?.mimeTree
      ? { mimeTree: request.parsed.mimeTree, maildata: request.parsed.maildata }
      : request.parsed
        ? { mimeTree: sourceTree(store, request.raw, request.parsed) }
        : {}),
    meta: { spamAction: request.spamAction },
    // Kura's own auto-replies (RFC 3834 rules) run after the copy is stored.
    disableAutoreply: true,
  });
  if (request.parsed && !request.parsed.mimeTree && prepared) Object.assign(request.parsed, prepared);
  const error = response.error as (Error & { code?: string }) | undefined;
  const drop = error?.code === 'DroppedByPolicy';
  if (error && !drop) throw error;
  const results = (response.filterResults ?? []) as Array<Record<string, unknown>>;
  const matched = results.find((r) => r.matchingFilters)?.matchingFilters as string[] | undefined;
  return {
    target: targetOf(stored),
    flags: ((stored?.flags as string[] | undefined) ?? []).slice(),
    filters: matched ?? ((stored?.filters as unknown[] | undefined) ?? []).map(String),
    drop,
    spam: results.some((r) => r.spam === true),
    forwards,
    overForwardLimit,
  };
}

type PushCallback = (err: Error | null, result?: { id: string }) => void;

/** Stands in for WildDuck's Maildropper: collects the forwarded bytes instead of queueing them for ZoneMTA. */
function recordForward(mail: Record<string, unknown>, done: PushCallback, into: ForwardCopy[]): Writable {
  const chunks: Buffer[] = [];
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
    final(callback) {
      const targets = ((mail.targets as Array<{ type: string; value: unknown }> | undefined) ?? []).map((t) => ({
        type: t.type,
        value: String(t.value),
      }));
      const relay = mail.mtaRelay as string | { value?: string } | false | undefined;
      const mtaRelay = typeof relay === 'string' ? relay : relay ? relay.value : undefined;
      into.push({
        from: String(mail.from ?? ''),
        recipient: String(mail.to ?? ''),
        targets,
        raw: Buffer.concat(chunks),
        ...(mtaRelay ? { mtaRelay } : {}),
      });
      callback();
      done(null, { id: `kura-forward-${into.length}` });
    },
  });
}

function targetOf(options: Record<string, unknown> | undefined): MailboxTarget {
  if (!options) return { path: 'INBOX' };
  if (options.mailbox && ObjectId.isValid(String(options.mailbox))) return { mailbox: new ObjectId(String(options.mailbox)) };
  if (options.specialUse) return { specialUse: String(options.specialUse) };
  return { path: String(options.path ?? 'INBOX') };
}
