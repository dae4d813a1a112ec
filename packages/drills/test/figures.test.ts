import { describe, expect, it } from 'vitest';
import { countBy } from '../src/datatier.js';
import type { StreamedMessage } from '../src/delivery-stream.js';
import { interruptedDeliveries } from '../src/haraka.js';
import { messageFigures } from '../src/mailbox.js';
import { DRILL_REGISTRY, DRILLS } from '../src/registry.js';
import { DRILL_NAMES } from '../src/types.js';

const message = (subject: string, replies: number[], acknowledgedAt?: number): StreamedMessage => ({
  subject,
  messageId: `<${subject}@test.invalid>`,
  date: 'Sun, 29 Nov 2026 12:00:00 GMT',
  attempts: replies.length,
  replies,
  ...(acknowledgedAt === undefined ? {} : { acknowledgedAt }),
});

describe('drill figures', () => {
  it('counts an acknowledged message missing from the mailbox as lost, and one there twice as duplicated', () => {
    const acked = [message('a', [250], 1), message('b', [250], 2), message('c', [451, 250], 3)];
    const counts = new Map([
      ['a', 1],
      ['c', 2],
    ]);
    expect(messageFigures(acked, 1, counts)).toEqual({
      messagesAcknowledged: 3,
      messagesLost: 1,
      messagesDuplicated: 1,
      permanentFailures: 1,
    });
  });

  it('reports nothing lost when every acknowledged message is there once', () => {
    const acked = [message('a', [250], 1), message('b', [250], 2)];
    const figures = messageFigures(acked, 0, new Map([...acked.map((m) => [m.subject, 1] as const), ['unacknowledged', 1]]));
    expect(figures).toEqual({ messagesAcknowledged: 2, messagesLost: 0, messagesDuplicated: 0, permanentFailures: 0 });
  });

  it('times Haraka recovery by the slowest interrupted message acknowledged after the kill', () => {
    const killedAt = 1_000;
    const messages = [
      message('before the kill, retried', [0, 250], 900),
      message('clean after the kill', [250], 1_200),
      message('retried', [0, 250], 1_400),
      message('retried twice', [0, 451, 250], 2_500),
      message('never acknowledged', [0, 0]),
    ];
    expect(interruptedDeliveries(messages, killedAt)).toEqual({ interrupted: 2, recoveryMs: 1_500 });
  });

  it('leaves Haraka recovery unknown (null), never zero, when no sender was interrupted', () => {
    expect(interruptedDeliveries([message('clean', [250], 2_000)], 1_000)).toEqual({ interrupted: 0, recoveryMs: null });
  });

  it('counts reply codes during an outage', () => {
    expect(countBy([451, 451, 0, 421])).toEqual({ '451': 2, '0': 1, '421': 1 });
    expect(countBy([])).toEqual({});
  });

  it('registers every drill name, each with a description', () => {
    expect(Object.keys(DRILL_REGISTRY).sort()).toEqual([...DRILL_NAMES].sort());
    for (const name of DRILL_NAMES) expect(DRILLS[name]).toMatch(/^\S.{20,}/);
  });
});
