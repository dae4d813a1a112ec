import { describe, expect, it } from 'vitest';
import { lookupListing, queryName } from '../src/blocklist-lookup.js';

const answering = (answers: string[]) => async () => answers;
const failing = (code: string) => async () => {
  throw Object.assign(new Error(code), { code });
};

describe('blocklist lookups', () => {
  it('builds RFC 5782 names for IPv4, IPv6 and domains', () => {
    expect(queryName({ kind: 'ip', target: '192.0.2.99', zone: 'zen.spamhaus.org' })).toBe('99.2.0.192.zen.spamhaus.org');
    expect(queryName({ kind: 'ip', target: '2001:db8::1', zone: 'zen.spamhaus.org' })).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org',
    );
    expect(queryName({ kind: 'domain', target: 'Campus.Example.', zone: 'dbl.spamhaus.org' })).toBe('campus.example.dbl.spamhaus.org');
  });

  it('reads 127.0.0.x as listed, no record as clear, and every failure as unknown', async () => {
    const pair = { kind: 'ip' as const, target: '192.0.2.1', zone: 'bl.test' };
    expect(await lookupListing(answering(['127.0.0.2', '127.0.0.4']), pair)).toEqual({ state: 'listed', answer: '127.0.0.2,127.0.0.4' });
    expect(await lookupListing(failing('ENOTFOUND'), pair)).toEqual({ state: 'clear' });
    expect(await lookupListing(failing('ENODATA'), pair)).toEqual({ state: 'clear' });
    expect((await lookupListing(failing('ETIMEOUT'), pair)).state).toBe('unknown');
    expect((await lookupListing(failing('ECONNREFUSED'), pair)).state).toBe('unknown');
    expect((await lookupListing(failing('ESERVFAIL'), pair)).state).toBe('unknown');
    // The lists' "query refused" codes (e.g. through a public resolver) are not listings.
    expect((await lookupListing(answering(['127.255.255.254']), pair)).state).toBe('unknown');
    expect((await lookupListing(answering(['10.0.0.1']), pair)).state).toBe('unknown');
  });
});
