import { describe, expect, it } from 'vitest';
import { autoReplyVerdict } from '../src/autoreply-rules.js';

const verdict = (envelopeFrom: string, headers: Record<string, string> = {}, ownAddresses: string[] = ['me@kura.test']) =>
  autoReplyVerdict({ envelopeFrom, header: (name) => headers[name] ?? '', ownAddresses });

describe('RFC 3834 auto-reply rules', () => {
  it('answers an ordinary personal message', () => {
    expect(verdict('alice@example.org', { subject: 'hi' })).toEqual({ send: true });
    expect(verdict('alice@example.org', { 'auto-submitted': 'no' })).toEqual({ send: true });
  });

  it.each([
    ['the null sender', '', {}],
    ['the user’s own address', 'Me@Kura.test', {}],
    ['a mailer daemon', 'MAILER-DAEMON@example.org', {}],
    ['a list owner address', 'owner-staff@lists.example.org', {}],
    ['a list request address', 'staff-request@lists.example.org', {}],
    ['Auto-Submitted: auto-replied', 'alice@example.org', { 'auto-submitted': 'auto-replied' }],
    ['Auto-Submitted: auto-generated', 'alice@example.org', { 'auto-submitted': 'auto-generated' }],
    ['List-Id', 'alice@example.org', { 'list-id': '<staff.lists.example.org>' }],
    ['List-Unsubscribe', 'alice@example.org', { 'list-unsubscribe': '<mailto:leave@example.org>' }],
    ['Precedence: bulk', 'alice@example.org', { precedence: 'bulk' }],
    ['Precedence: list', 'alice@example.org', { precedence: 'List' }],
    ['Precedence: junk', 'alice@example.org', { precedence: 'junk' }],
    ['X-Auto-Response-Suppress: OOF', 'alice@example.org', { 'x-auto-response-suppress': 'OOF, AutoReply' }],
  ])('never answers %s', (_, sender, headers) => {
    expect(verdict(sender, headers).send).toBe(false);
  });
});
