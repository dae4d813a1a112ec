import { describe, expect, it } from 'vitest';
import type { HarakaTransaction } from '../src/haraka.js';
import { JUNK } from '../src/loops.js';
import { spamAction } from '../src/placement.js';
import { SCAN_ACTION } from '../src/trust.js';

const txn = (notes: Record<string, unknown>) => ({ notes }) as unknown as HarakaTransaction;

/** WildDuck turns the action into a score (0, 25, 50, 75) and calls it spam at or above the user's spamLevel. */
describe("Kura's scanner verdict in WildDuck's spam-level terms", () => {
  it('clean or unscanned mail is "no action" (spam only for a user at level 0)', () => {
    expect(spamAction(txn({}))).toBe('no action');
    expect(spamAction(txn({ [JUNK]: false, [SCAN_ACTION]: 'greylist' }))).toBe('no action');
  });

  it('junk is "rewrite subject" (50: Junk at the default level 50), rspamd\'s own reject is "reject" (75)', () => {
    expect(spamAction(txn({ [JUNK]: true }))).toBe('rewrite subject');
    expect(spamAction(txn({ [JUNK]: true, [SCAN_ACTION]: 'add header' }))).toBe('rewrite subject');
    expect(spamAction(txn({ [JUNK]: true, [SCAN_ACTION]: 'reject' }))).toBe('reject');
  });
});
