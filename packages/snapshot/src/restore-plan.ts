import type { Document } from 'mongodb';
import { hex } from './restore-common.js';

/**
 * The decisions of a partial restore, as pure functions (unit-tested without a
 * database): which snapshot user is meant, how each mailbox is restored, and
 * when a live message counts as one the snapshot already has.
 */

export interface MailboxReport {
  path: string;
  /** created: the mailbox was missing; emptied: it existed with no messages; merged: it had messages. */
  state: 'created' | 'emptied' | 'merged';
  /** preserved: original UIDVALIDITY and UIDs; new-uids: missing messages appended with new UIDs. */
  uids: 'preserved' | 'new-uids';
  uidValidity: number;
  restored: number;
  alreadyPresent: number;
}

export interface MailboxDecision {
  /** create: insert the snapshot's mailbox; adopt: give an empty live one the snapshot's UIDVALIDITY; merge: append with new UIDs. */
  action: 'create' | 'adopt' | 'merge';
  state: MailboxReport['state'];
  uids: MailboxReport['uids'];
  uidValidity: number;
  /** For create and adopt: where the mailbox's counters must be so no restored UID/MODSEQ is reused. */
  uidNext: number;
  modifyIndex: number;
}

/** WildDuck's normalised username (dots removed, lower case). */
export function unameview(name: string): string {
  return name.replace(/\./g, '').toLowerCase();
}

/** Whether a snapshot user document is the one `wanted` names (id, username, normalised username or address). */
export function matchesUser(user: Document, wanted: string): boolean {
  return (
    hex(user._id) === wanted ||
    user.username === wanted ||
    user.unameview === unameview(wanted) ||
    (typeof user.address === 'string' && user.address.toLowerCase() === wanted.toLowerCase())
  );
}

/**
 * How one mailbox of the snapshot is restored, given the live mailbox of the
 * same path (if any), whether it holds messages, and the highest UID and
 * MODSEQ among the snapshot's messages in it. Snapshot UIDs are kept only
 * where no client can have seen other messages under them.
 */
export function planMailbox(
  snapshot: Document,
  existing: Document | null,
  hasMail: boolean,
  maxUid: number,
  maxModseq: number,
): MailboxDecision {
  const uidNext = Math.max(Number(snapshot.uidNext) || 1, maxUid + 1);
  const modifyIndex = Math.max(Number(snapshot.modifyIndex) || 0, maxModseq);
  if (!existing) return { action: 'create', state: 'created', uids: 'preserved', uidValidity: snapshot.uidValidity, uidNext, modifyIndex };
  // UIDs may be reused only if this UIDVALIDITY never handed out UIDs past the snapshot's.
  const reusable = existing.uidValidity !== snapshot.uidValidity || (Number(existing.uidNext) || 1) <= uidNext;
  if (!hasMail && reusable) {
    return {
      action: 'adopt',
      state: 'emptied',
      uids: 'preserved',
      uidValidity: snapshot.uidValidity,
      uidNext,
      modifyIndex: Math.max(modifyIndex, Number(existing.modifyIndex) || 0),
    };
  }
  return {
    action: 'merge',
    state: hasMail ? 'merged' : 'emptied',
    uids: 'new-uids',
    uidValidity: existing.uidValidity,
    uidNext: Number(existing.uidNext) || 1,
    modifyIndex: Number(existing.modifyIndex) || 0,
  };
}

/** A message counts as already present when Message-ID, internal date and size match. */
export function messageKey(doc: Document): string {
  const idate = doc.idate instanceof Date ? doc.idate.getTime() : String(doc.idate);
  return `${doc.msgid}\u0000${idate}\u0000${doc.size}`;
}

/** One mailbox being restored: the snapshot's document, the live one, and the decision. */
export interface MailboxPlan {
  snapshot: Document;
  live: Document | null;
  state: MailboxReport['state'];
  uids: MailboxReport['uids'];
  maxUid: number;
  maxModseq: number;
  report: MailboxReport;
}
