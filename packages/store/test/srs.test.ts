import { describe, expect, it } from 'vitest';
import { Srs, SrsError } from '../src/srs.js';

const DAY = 86_400_000;
const srs = new Srs({ secret: 'a test secret of enough length', domain: 'fwd.example.net' });
const now = Date.UTC(2026, 10, 29, 12);

describe('sender rewriting (SRS)', () => {
  it('rewrites a sender into the rewrite domain and reverses it to the original', () => {
    const rewritten = srs.forward('alice@Example.org', now);
    expect(rewritten).toMatch(/^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=example\.org=alice@fwd\.example\.net$/);
    expect(srs.reverse(rewritten, now)).toBe('alice@example.org');
  });

  it('keeps a bounce a bounce: the null sender is not rewritten', () => {
    expect(srs.forward('', now)).toBe('');
  });

  it('reverses an address whose case a relay changed', () => {
    const rewritten = srs.forward('bob@example.org', now);
    expect(srs.reverse(rewritten.toLowerCase(), now)).toBe('bob@example.org');
  });

  it('refuses a forged hash, a changed address and an expired timestamp', () => {
    const rewritten = srs.forward('carol@example.org', now);
    const forged = rewritten.replace(/^SRS0=[A-Z2-7]{6}/, 'SRS0=AAAAAA');
    expect(() => srs.reverse(forged, now)).toThrow(SrsError);
    expect(() => srs.reverse(rewritten.replace('=carol@', '=mallory@'), now)).toThrow(SrsError);
    expect(srs.reverse(rewritten, now + 21 * DAY)).toBe('carol@example.org');
    expect(() => srs.reverse(rewritten, now + 22 * DAY)).toThrow(/expired/);
    expect(() => new Srs({ secret: 'another secret', domain: 'fwd.example.net' }).reverse(rewritten, now)).toThrow(SrsError);
  });

  it('turns another forwarder SRS0 address into SRS1 and back into that forwarder address', () => {
    const theirs = 'SRS0=abcd=XY=example.org=dave@relay.example.com';
    const ours = srs.forward(theirs, now);
    expect(ours).toMatch(/^SRS1=[A-Z2-7]{6}=relay\.example\.com==abcd=XY=example\.org=dave@fwd\.example\.net$/);
    expect(srs.reverse(ours, now)).toBe(theirs);
    // Forwarded once more by a third hop of ours: still one SRS1 naming the first forwarder.
    const again = srs.forward(ours.replace('@fwd.example.net', '@other.example'), now);
    expect(srs.reverse(again, now)).toBe(theirs);
  });

  it('tells its own SRS addresses from other addresses', () => {
    expect(srs.isSrsAddress(srs.forward('erin@example.org', now))).toBe(true);
    expect(srs.isSrsAddress('SRS0=x=y=z=w@elsewhere.example')).toBe(false);
    expect(srs.isSrsAddress('srs-fan@fwd.example.net')).toBe(false);
    expect(() => srs.reverse('SRS0=broken@fwd.example.net', now)).toThrow(SrsError);
  });
});
