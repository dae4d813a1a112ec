import crypto from 'node:crypto';

/** The DNS TXT record that publishes a DKIM public key (RFC 6376 section 3.6.1; RFC 8463 for Ed25519). */
export function dkimTxtRecord(key: { domain: string; selector: string; publicKey: string }): {
  name: string;
  value: string;
  zoneLine: string;
} {
  const pem = key.publicKey.includes('BEGIN') ? key.publicKey : `-----BEGIN PUBLIC KEY-----\n${key.publicKey}\n-----END PUBLIC KEY-----\n`;
  const publicKey = crypto.createPublicKey(pem);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const ed25519 = publicKey.asymmetricKeyType === 'ed25519';
  // Ed25519 publishes the raw 32-byte key, RSA the whole SubjectPublicKeyInfo.
  const p = (ed25519 ? der.subarray(der.length - 32) : der).toString('base64');
  const value = `v=DKIM1; k=${ed25519 ? 'ed25519' : 'rsa'}; p=${p}`;
  const name = `${key.selector}._domainkey.${key.domain}`;
  // A zone file takes one TXT record as several strings of at most 255 bytes each.
  const strings = value.match(/.{1,255}/g) ?? [value];
  return { name, value, zoneLine: `${name}. IN TXT ( ${strings.map((s) => `"${s}"`).join(' ')} )` };
}
