import { describe, expect, it } from 'vitest';
import { dayBoundary, dayOf } from '../src/days.js';
import { checkTargets, checkVacation, MAX_TARGETS } from '../src/forms.js';
import { pickText } from '../src/i18n/index.js';

const en = pickText('en', undefined);
const ja = pickText('ja', undefined);

describe('self-service forms', () => {
  it('turns a vacation form into WildDuck autoreply fields', () => {
    const checked = checkVacation({ enabled: 'on', subject: ' Away ', text: 'Back soon\r\n', start: '2026-08-01', end: '2026-08-20' }, en);
    expect(checked).toEqual({
      ok: true,
      value: {
        status: true,
        subject: 'Away',
        text: 'Back soon',
        start: new Date(2026, 7, 1, 0, 0, 0).toISOString(),
        end: new Date(2026, 7, 20, 23, 59, 59).toISOString(),
      },
    });
    // Empty dates clear the bounds; switching off needs no text.
    expect(checkVacation({ subject: '', text: '' }, en)).toEqual({
      ok: true,
      value: { status: false, subject: '', text: '', start: false, end: false },
    });
  });

  it('names every vacation mistake in the reader language', () => {
    expect(checkVacation({ enabled: 'on', text: '' }, en)).toEqual({ ok: false, errors: [en.errors.textRequired] });
    expect(checkVacation({ text: 'x', start: '2026-02-30' }, en)).toEqual({
      ok: false,
      errors: ['"2026-02-30" is not a date (use YYYY-MM-DD).'],
    });
    expect(checkVacation({ text: 'x', start: '2026-09-10', end: '2026-09-01' }, ja)).toEqual({
      ok: false,
      errors: ['終了日が開始日より前になっています。'],
    });
    expect(checkVacation({ text: 'x', subject: 'a'.repeat(2049) }, en).ok).toBe(false);
  });

  it('accepts plain addresses only, never the user own, de-duplicated and bounded', () => {
    expect(checkTargets('a@example.org\n A@example.org , b@example.net\n\n', ['me@kura.test'], en)).toEqual({
      ok: true,
      value: ['a@example.org', 'b@example.net'],
    });
    expect(checkTargets('', [], en)).toEqual({ ok: true, value: [] });
    const bad = checkTargets('smtp://mx.example.org:25\nno-at-sign\nx@localhost\nx..y@example.org\nME@kura.test', ['me@kura.test'], en);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors).toEqual([
      '"smtp://mx.example.org:25" is not a mail address.',
      '"no-at-sign" is not a mail address.',
      '"x@localhost" is not a mail address.',
      '"x..y@example.org" is not a mail address.',
      'ME@kura.test is your own address; forwarding to it would loop.',
    ]);
    const many = Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `u${i}@example.org`).join('\n');
    expect(checkTargets(many, [], en)).toEqual({ ok: false, errors: [`At most ${MAX_TARGETS} forwarding addresses.`] });
  });

  it('reads days as whole days in the configured time zone, across a DST change too', () => {
    expect(dayBoundary('2026-08-01', 'start', 'Asia/Tokyo')?.toISOString()).toBe('2026-07-31T15:00:00.000Z');
    expect(dayBoundary('2026-08-20', 'end', 'Asia/Tokyo')?.toISOString()).toBe('2026-08-20T14:59:59.000Z');
    expect(dayBoundary('2026-03-29', 'start', 'Europe/Berlin')?.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(dayBoundary('2026-03-29', 'end', 'Europe/Berlin')?.toISOString()).toBe('2026-03-29T21:59:59.000Z');
    expect(dayBoundary('2026-08-20', 'end', 'UTC')?.toISOString()).toBe('2026-08-20T23:59:59.000Z');
    expect(dayBoundary('2026-02-30', 'start', 'UTC')).toBeUndefined();
    expect(dayOf('2026-08-20T14:59:59.000Z', 'Asia/Tokyo')).toBe('2026-08-20');
    expect(dayOf('2026-08-20T15:00:00.000Z', 'Asia/Tokyo')).toBe('2026-08-21');
    expect(dayOf(undefined, 'UTC')).toBe('');
    const tokyo = checkVacation({ text: 'x', start: '2026-08-01', end: '2026-08-20' }, en, 'Asia/Tokyo');
    expect(tokyo.ok && [tokyo.value.start, tokyo.value.end]).toEqual(['2026-07-31T15:00:00.000Z', '2026-08-20T14:59:59.000Z']);
  });

  it('picks Japanese or English from Accept-Language unless the reader chose', () => {
    expect(pickText(undefined, 'ja-JP,ja;q=0.9,en;q=0.8').lang).toBe('ja');
    expect(pickText(undefined, 'en-US,en;q=0.9,ja;q=0.1').lang).toBe('en');
    expect(pickText(undefined, 'de-DE').lang).toBe('en');
    expect(pickText(undefined, undefined).lang).toBe('en');
    expect(pickText('en', 'ja').lang).toBe('en');
    expect(pickText('xx', 'ja').lang).toBe('ja');
  });

  it('has the same keys in both catalogues', () => {
    const shape = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? shape(v).map((s) => `${k}.${s}`) : [k]));
    expect(shape(ja).sort()).toEqual(shape(en).sort());
  });
});
