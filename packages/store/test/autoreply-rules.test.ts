import { describe, expect, it } from 'vitest';
import { addressedToUser, autoReplySubject, autoReplyVerdict, MAX_ECHOED_SUBJECT, type ScanStatus } from '../src/autoreply-rules.js';

const verdict = (
  envelopeFrom: string,
  headers: Record<string, string> = {},
  ownAddresses: string[] = ['me@kura.test'],
  scan: ScanStatus = 'clean',
) => autoReplyVerdict({ envelopeFrom, header: (name) => ({ to: 'Me <me@kura.test>', ...headers })[name] ?? '', ownAddresses, scan });

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

describe('auto-replies cannot be used for backscatter', () => {
  it('answers only when the user or an alias is in To or Cc', () => {
    expect(verdict('alice@example.org', { to: 'someone@else.example' })).toEqual({ send: false, reason: 'user not in To or Cc' });
    expect(verdict('alice@example.org', { to: '' })).toMatchObject({ send: false });
    expect(verdict('alice@example.org', { to: 'a@x.example', cc: '"Me" <ME@kura.test>' })).toEqual({ send: true });
    expect(verdict('alice@example.org', { to: 'alias@kura.test' }, ['me@kura.test', 'alias@kura.test'])).toEqual({ send: true });
    expect(verdict('alice@example.org', { to: 'undisclosed-recipients:;' })).toMatchObject({ send: false });
  });

  it('reads addresses, not display names or comments', () => {
    const own = ['me@kura.test'];
    expect(addressedToUser('"me@kura.test" <attacker@evil.example>', own)).toBe(false);
    expect(addressedToUser('attacker@evil.example (me@kura.test)', own)).toBe(false);
    expect(addressedToUser('Team: a@x.example, me@kura.test;', own)).toBe(true);
    expect(addressedToUser('me+news@kura.test', own)).toBe(true);
    expect(addressedToUser('anyone@kura.test', ['*@kura.test'])).toBe(true);
    expect(addressedToUser('anyone@other.example', ['*@kura.test'])).toBe(false);
    expect(addressedToUser('<me@kura.test.evil.example>', own)).toBe(false);
  });

  it('never answers junk or unscanned mail', () => {
    expect(verdict('alice@example.org', {}, undefined, 'junk')).toEqual({ send: false, reason: 'junk' });
    expect(verdict('alice@example.org', {}, undefined, 'unscanned')).toMatchObject({ send: false });
  });

  it('echoes at most a bounded, cleaned-up Subject', () => {
    expect(autoReplySubject('Meeting on Monday')).toBe('Auto: Meeting on Monday');
    expect(autoReplySubject('anything', 'Away until May')).toBe('Away until May');
    expect(autoReplySubject('')).toBe('Auto-reply');
    const spam = `Cheap pills https://evil.example/buy now\r\nBcc: victim@example.org ${'x'.repeat(500)}`;
    const subject = autoReplySubject(spam);
    expect([...subject.slice('Auto: '.length)].length).toBeLessThanOrEqual(MAX_ECHOED_SUBJECT);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).not.toContain('evil.example');
    expect(subject).toContain('[link]');
    expect(subject.endsWith('…')).toBe(true);
    expect(autoReplySubject('a\u202ebidi\u200b zero www.spam.example')).toBe('Auto: a bidi zero [link]');
  });
});
