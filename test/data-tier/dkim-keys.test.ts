import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { openStore, type Store, signingKeyFor } from '@kura/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTier, startDataTier } from '../support/data-tier.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const require = createRequire(import.meta.url);
// WildDuck's own DKIM handler writes the keys, exactly as its `POST /dkim` API does.
const DkimHandler: new (
  options: Record<string, unknown>,
) => {
  set(options: { domain: string; selector: string; privateKey?: string }): Promise<{ dnsTxt: { name: string; value: string } }>;
} = require('@zone-eu/wildduck/lib/dkim-handler');

const rsaKey = (): string =>
  crypto.generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).privateKey;

/** Kura reads the signing key WildDuck's DKIM API manages, encrypted or not, for a domain or its closest parent. */
describe('DKIM signing keys from WildDuck', () => {
  let tier: DataTier;
  let redis: TestRedis;
  let store: Store;
  let wrongSecret: Store;
  const secret = crypto.randomBytes(16).toString('hex');
  const keys = { parent: rsaKey(), child: rsaKey(), fallback: rsaKey() };

  beforeAll(async () => {
    [tier, redis] = await Promise.all([startDataTier('dkim-keys', 'dkimkeys'), startRedis()]);
    store = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url, dkimSecret: secret });
    wrongSecret = await openStore({ mongodbUri: tier.uri, redisUrl: redis.url, dkimSecret: 'not-the-secret' });
    const handler = new DkimHandler({ database: store.db, redis: store.redis, secret });
    await handler.set({ domain: 'Example.EDU', selector: 'kura2026', privateKey: keys.parent });
    await handler.set({ domain: 'lab.cs.example.edu', selector: 'lab', privateKey: keys.child });
    const plain = new DkimHandler({ database: store.db, redis: store.redis });
    await plain.set({ domain: 'plain.example.org', selector: 'clear', privateKey: keys.fallback });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await wrongSecret?.close();
    await Promise.all([tier?.stop(), redis?.stop()]);
  });

  it('decrypts the key of the domain itself', async () => {
    const stored = await store.db.collection('dkim').findOne({ domain: 'example.edu' });
    expect(String(stored?.privateKey)).toMatch(/^\$wd01\$/); // WildDuck really encrypted it
    expect(await signingKeyFor(store, 'example.edu')).toEqual({ domain: 'example.edu', selector: 'kura2026', privateKey: keys.parent });
  });

  it("takes the closest parent's key for a subdomain without its own", async () => {
    expect(await signingKeyFor(store, 'mail.cs.example.edu')).toMatchObject({ domain: 'example.edu', selector: 'kura2026' });
    expect(await signingKeyFor(store, 'x.LAB.cs.example.edu.')).toEqual({
      domain: 'lab.cs.example.edu',
      selector: 'lab',
      privateKey: keys.child,
    });
  });

  it('reads a key stored in clear text without needing the secret', async () => {
    expect(await signingKeyFor(wrongSecret, 'plain.example.org')).toEqual({
      domain: 'plain.example.org',
      selector: 'clear',
      privateKey: keys.fallback,
    });
  });

  it('answers null for a domain without a key and names the fix for a wrong secret', async () => {
    expect(await signingKeyFor(store, 'elsewhere.example.net')).toBeNull();
    expect(await signingKeyFor(store, 'localhost')).toBeNull();
    await expect(signingKeyFor(wrongSecret, 'example.edu')).rejects.toThrow(/dkim\.secret.*KURA_DKIM_SECRET/);
  });

  it("falls back to WildDuck's '*' key, signing as the asked domain", async () => {
    const handler = new DkimHandler({ database: store.db, redis: store.redis, secret });
    await handler.set({ domain: '*', selector: 'any', privateKey: keys.fallback });
    expect(await signingKeyFor(store, 'other.example.net')).toEqual({
      domain: 'other.example.net',
      selector: 'any',
      privateKey: keys.fallback,
    });
    // A domain's own key still wins over the fallback.
    expect(await signingKeyFor(store, 'example.edu')).toMatchObject({ selector: 'kura2026' });
  });
});
