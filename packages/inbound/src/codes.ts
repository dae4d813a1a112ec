import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Haraka's return codes, from the copy of haraka-constants that Haraka itself uses. */
export const codes: { OK: number; DENY: number; DENYSOFT: number; CONT: number } = require('haraka-constants');

interface Dsn {
  create(code: number, message: string, subject: number, detail: number): unknown;
  no_such_user(message?: string, code?: number): unknown;
  mbox_disabled(message?: string, code?: number): unknown;
  mbox_full(message?: string, code?: number): unknown;
  sys_unspecified(message?: string, code?: number): unknown;
}

/** Enhanced status codes (RFC 3463) for replies. */
export const dsn: Dsn = require('haraka-dsn');
