import { dayBoundary } from './days.js';
import type { Text } from './i18n/index.js';

/** WildDuck's own limits on an auto-reply (lib/api/autoreply.js): longer input is refused here, in the user's words. */
export const MAX_SUBJECT = 2 * 1024;
export const MAX_TEXT = 128 * 1024;
/** Forwarding fans each message out; a handful of targets is what a person needs. */
export const MAX_TARGETS = 5;

export interface VacationInput {
  status: boolean;
  subject: string;
  text: string;
  /** ISO timestamps, or false to clear the bound (WildDuck's "no start/end check"). */
  start: string | false;
  end: string | false;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** The vacation form as WildDuck's autoreply API takes it, or the user's mistakes in their language. */
export function checkVacation(form: Record<string, string>, t: Text, timeZone?: string): Checked<VacationInput> {
  const errors: string[] = [];
  const status = form.enabled === 'on';
  const subject = (form.subject ?? '').trim();
  const text = (form.text ?? '').replace(/\r\n/g, '\n').trim();
  if (subject.length > MAX_SUBJECT) errors.push(t.errors.subjectTooLong(MAX_SUBJECT));
  if (text.length > MAX_TEXT) errors.push(t.errors.textTooLong(MAX_TEXT));
  if (status && !text) errors.push(t.errors.textRequired);
  const bound = (value: string | undefined, edge: 'start' | 'end'): Date | false | undefined => {
    const trimmed = (value ?? '').trim();
    if (!trimmed) return false;
    const parsed = dayBoundary(trimmed, edge, timeZone);
    if (!parsed) errors.push(t.errors.badDate(trimmed));
    return parsed;
  };
  const start = bound(form.start, 'start');
  const end = bound(form.end, 'end');
  if (start && end && end < start) errors.push(t.errors.endBeforeStart);
  if (errors.length || start === undefined || end === undefined) return { ok: false, errors };
  return {
    ok: true,
    value: { status, subject, text, start: start === false ? false : start.toISOString(), end: end === false ? false : end.toISOString() },
  };
}

/**
 * A plain mail address (local@domain.tld). Relay and HTTP targets, which WildDuck also accepts, are
 * left to operators: a user forwards mail to mailboxes.
 */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** The forwarding form: one address per line (commas also work), checked, de-duplicated, never the user's own. */
export function checkTargets(raw: string | undefined, own: string[], t: Text): Checked<string[]> {
  const errors: string[] = [];
  const mine = new Set(own.map((a) => a.toLowerCase()));
  const targets: string[] = [];
  for (const entry of (raw ?? '').split(/[\n,]/)) {
    const address = entry.trim();
    if (!address) continue;
    if (!ADDRESS.test(address) || address.includes('..')) errors.push(t.errors.badAddress(address));
    else if (mine.has(address.toLowerCase())) errors.push(t.errors.ownAddress(address));
    else if (!targets.some((a) => a.toLowerCase() === address.toLowerCase())) targets.push(address);
  }
  if (targets.length > MAX_TARGETS) errors.push(t.errors.tooManyTargets(MAX_TARGETS));
  return errors.length ? { ok: false, errors } : { ok: true, value: targets };
}
