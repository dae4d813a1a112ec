import { createRequire } from 'node:module';
import { domainToUnicode } from 'node:url';
import type { Store } from './connect.js';

const require = createRequire(import.meta.url);
// WildDuck's own cipher code: the keys its DKIM API stored are read back exactly as it would.
const { decrypt } = require('@zone-eu/wildduck/lib/encrypt') as {
  decrypt(data: string, secret: string | undefined, legacyCipher?: string): Promise<string>;
};

/** A key document of WildDuck's `dkim` collection (one per domain; `*` is the fallback for every domain). */
interface DkimDocument {
  domain: string;
  selector: string;
  privateKey: string;
}

export interface SigningKey {
  /** The d= of the signature: the domain the key was registered for, or the asked domain for the `*` key. */
  domain: string;
  selector: string;
  /** PEM (RSA or Ed25519), decrypted. */
  privateKey: string;
}

/** The domain as WildDuck stores it: lower case, IDNs in Unicode. */
export function normalizeDkimDomain(domain: string): string {
  const lower = domain.trim().toLowerCase().replace(/\.$/, '');
  return lower.includes('xn--') ? domainToUnicode(lower).normalize('NFC').toLowerCase() || lower : lower;
}

/** The domain and each parent with at least two labels, most specific first (a.b.example.edu, b.example.edu, example.edu). */
export function dkimCandidates(domain: string): string[] {
  const labels = normalizeDkimDomain(domain).split('.').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/**
 * The key to sign mail from `domain` with, as managed through WildDuck's DKIM
 * API: the domain's own key, else the closest parent's (a signature by the
 * parent still aligns with DMARC's relaxed mode), else WildDuck's `*` key
 * signing as the domain itself. Keys WildDuck encrypted (its `dkim.secret`)
 * are decrypted with `store.dkimSecret`; null when there is no key at all.
 */
export async function signingKeyFor(store: Store, domain: string): Promise<SigningKey | null> {
  const candidates = dkimCandidates(domain);
  if (candidates.length === 0) return null;
  const docs = await store.db
    .collection<DkimDocument>('dkim')
    .find({ domain: { $in: [...candidates, '*'] } }, { projection: { domain: 1, selector: 1, privateKey: 1 } })
    .toArray();
  const rank = (d: DkimDocument) => (d.domain === '*' ? candidates.length : candidates.indexOf(d.domain));
  const best = docs.sort((a, b) => rank(a) - rank(b))[0];
  if (!best) return null;
  let privateKey: string;
  try {
    privateKey = await decrypt(best.privateKey, store.dkimSecret);
  } catch (err) {
    throw new Error(
      `cannot decrypt the DKIM key of ${best.domain} (${(err as Error).message}): the key was stored with WildDuck's dkim.secret; give Kura the same secret (KURA_DKIM_SECRET)`,
    );
  }
  return { domain: best.domain === '*' ? (candidates[0] as string) : best.domain, selector: best.selector, privateKey };
}
