import { describe, expect, it } from 'vitest';
import { RouteError, routePeer } from '../src/route.js';

describe("a user's relay target as a route", () => {
  it('reads host, port, TLS mode and credentials from smtp:// and smtps:// URLs', () => {
    expect(routePeer('smtp://mx2.example.org:2525')).toEqual({ kind: 'relay', host: 'mx2.example.org', port: 2525, tls: 'opportunistic' });
    expect(routePeer('smtp://mx2.example.org')).toMatchObject({ port: 25, tls: 'opportunistic' });
    expect(routePeer('smtps://jane:p%40ss%20word@[2001:db8::1]')).toEqual({
      kind: 'relay',
      host: '2001:db8::1',
      port: 465,
      tls: 'tls',
      auth: { user: 'jane', pass: 'p@ss word' },
    });
  });

  it('refuses what is not an SMTP URL, for good (retrying cannot mend it)', () => {
    for (const bad of ['https://hooks.example/x', 'not a url', 'smtp://']) {
      let caught: unknown;
      try {
        routePeer(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RouteError);
      expect((caught as RouteError).permanent).toBe(true);
    }
  });
});
