import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { matchesUser, messageKey, planMailbox } from '../src/restore-plan.js';

const snapshotBox = { _id: new ObjectId(), path: 'INBOX', uidValidity: 1_700_000_000, uidNext: 40, modifyIndex: 90 };

describe('partial restore plan: one mailbox', () => {
  it('a missing mailbox is created with the snapshot UIDVALIDITY, its counters past every restored UID and MODSEQ', () => {
    expect(planMailbox(snapshotBox, null, false, 55, 120)).toEqual({
      action: 'create',
      state: 'created',
      uids: 'preserved',
      uidValidity: 1_700_000_000,
      uidNext: 56,
      modifyIndex: 120,
    });
    // The snapshot's own counters win when they are already further.
    expect(planMailbox(snapshotBox, null, false, 10, 20)).toMatchObject({ uidNext: 40, modifyIndex: 90 });
  });

  it('an empty live mailbox of another UIDVALIDITY adopts the snapshot’s, so clients see the old UIDs again', () => {
    const live = { _id: new ObjectId(), path: 'INBOX', uidValidity: 1_800_000_000, uidNext: 500, modifyIndex: 700 };
    expect(planMailbox(snapshotBox, live, false, 39, 80)).toEqual({
      action: 'adopt',
      state: 'emptied',
      uids: 'preserved',
      uidValidity: 1_700_000_000,
      uidNext: 40,
      // MODSEQ never goes backwards for a mailbox clients already know.
      modifyIndex: 700,
    });
  });

  it('an empty live mailbox that already handed out UIDs past the snapshot’s under the same UIDVALIDITY gets new UIDs', () => {
    const live = { _id: new ObjectId(), path: 'INBOX', uidValidity: 1_700_000_000, uidNext: 41, modifyIndex: 95 };
    expect(planMailbox(snapshotBox, live, false, 39, 80)).toMatchObject({
      action: 'merge',
      state: 'emptied',
      uids: 'new-uids',
      uidValidity: 1_700_000_000,
    });
    // Same UIDVALIDITY but not further than the snapshot: the snapshot's UIDs are safe to reuse.
    expect(planMailbox(snapshotBox, { ...live, uidNext: 40 }, false, 39, 80)).toMatchObject({ action: 'adopt', uids: 'preserved' });
  });

  it('a live mailbox with mail is merged into: missing messages are appended with new UIDs under its UIDVALIDITY', () => {
    const live = { _id: new ObjectId(), path: 'INBOX', uidValidity: 1_900_000_000, uidNext: 3, modifyIndex: 4 };
    expect(planMailbox(snapshotBox, live, true, 39, 80)).toEqual({
      action: 'merge',
      state: 'merged',
      uids: 'new-uids',
      uidValidity: 1_900_000_000,
      uidNext: 3,
      modifyIndex: 4,
    });
  });
});

describe('partial restore plan: which user, which messages', () => {
  const user = { _id: new ObjectId(), username: 'ada.lovelace', unameview: 'adalovelace', address: 'Ada@Example.EDU' };

  it('finds the user by id, username, WildDuck’s normalised name or address (any case)', () => {
    for (const wanted of [user._id.toHexString(), 'ada.lovelace', 'AdaLovelace', 'ada@example.edu'])
      expect(matchesUser(user, wanted), wanted).toBe(true);
    expect(matchesUser(user, 'ada')).toBe(false);
  });

  it('counts a live message as present only when Message-ID, internal date and size all match', () => {
    const idate = new Date('2026-01-02T03:04:05Z');
    const message = { msgid: '<a@example.org>', idate, size: 1234 };
    expect(messageKey({ ...message })).toBe(messageKey({ ...message, idate: new Date(idate) }));
    expect(messageKey(message)).not.toBe(messageKey({ ...message, size: 1235 }));
    expect(messageKey(message)).not.toBe(messageKey({ ...message, idate: new Date(idate.getTime() + 1000) }));
    expect(messageKey(message)).not.toBe(messageKey({ ...message, msgid: '<b@example.org>' }));
  });
});
