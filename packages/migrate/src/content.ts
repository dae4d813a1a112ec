import { createHash } from 'node:crypto';

/**
 * The form a message is stored and served in: CRLF line ends, as IMAP and POP3
 * hand it to clients (Maildir and mbox keep bare LF on disk). Nothing else changes:
 * 8-bit headers, a missing final newline and existing CRLFs stay as they are.
 */
export function toWireForm(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) bare++;
  if (!bare) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out[o++] = 0x0d;
    out[o++] = byte;
  }
  return out;
}

/** The content hash that identifies a message across source and Kura (sha256 of the wire form). */
export function contentHash(wire: Buffer): string {
  return createHash('sha256').update(wire).digest('hex');
}

/** True when the bytes have no header/body structure at all (imported as they are, but reported). */
export function looksBroken(wire: Buffer): string | undefined {
  if (wire.length === 0) return 'empty file';
  const head = wire.subarray(0, Math.min(wire.length, 4096)).toString('latin1');
  if (!/^[!-9;-~]+:/.test(head)) return 'does not start with a header field';
  return undefined;
}
