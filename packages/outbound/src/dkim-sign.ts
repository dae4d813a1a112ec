import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { type SigningKey, type Store, signingKeyFor } from '@kura/store';
import { dkimSign } from 'mailauth';

const require = createRequire(import.meta.url);
const addressparser: (
  value: string,
) => Array<{ address?: string; group?: Array<{ address?: string }> }> = require('nodemailer/lib/addressparser');

export type SignResult = { signed: true; raw: Buffer; domain: string; selector: string } | { signed: false; raw: Buffer; why: string };

/**
 * DKIM-signs a message at send time with the key of its From domain (so the
 * signature aligns for DMARC), falling back to the envelope sender's domain.
 * A message without a usable key leaves unsigned: the caller logs and counts it.
 */
export async function signMessage(store: Store, raw: Buffer, envelopeFrom: string): Promise<SignResult> {
  const domains = [fromDomain(raw), domainOf(envelopeFrom)].filter((d): d is string => Boolean(d));
  let key: SigningKey | null = null;
  for (const domain of new Set(domains)) {
    key = await signingKeyFor(store, domain);
    if (key) break;
  }
  if (!key) return { signed: false, raw, why: `no DKIM key for ${domains.join(' or ') || 'a message without a sender domain'}` };
  const type = crypto.createPrivateKey(key.privateKey).asymmetricKeyType;
  const signature = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey };
  const result = await dkimSign(raw, {
    ...signature,
    canonicalization: 'relaxed/relaxed',
    algorithm: type === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256',
    signatureData: [signature],
  });
  if (result.errors.length > 0) {
    const first = result.errors[0] as { err?: Error } | Error;
    return { signed: false, raw, why: `signing failed: ${'err' in first && first.err ? first.err.message : String(first)}` };
  }
  return { signed: true, raw: Buffer.concat([Buffer.from(result.signatures), raw]), domain: key.domain, selector: key.selector };
}

/** The domain of the first address in the From header (RFC 5322 header block only). */
export function fromDomain(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? Math.min(raw.length, 65536) : end).toString('utf8');
  const match = /^from:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  if (!match?.[1]) return undefined;
  const [first] = addressparser(match[1].replace(/\r?\n[ \t]/g, ' '));
  const address = first?.address ?? first?.group?.[0]?.address;
  return address ? domainOf(address) : undefined;
}

export function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(at + 1).toLowerCase() : undefined;
}
