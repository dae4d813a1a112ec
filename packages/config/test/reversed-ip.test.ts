import { describe, expect, it } from 'vitest';
import { reversedIp } from '../src/reversed-ip.js';

describe('reversedIp (RFC 5782 query names)', () => {
  it('reverses IPv4 octets, also of an IPv4-mapped IPv6 address', () => {
    expect(reversedIp('192.0.2.99')).toBe('99.2.0.192');
    expect(reversedIp('::ffff:127.0.0.2')).toBe('2.0.0.127');
    expect(reversedIp('::FFFF:192.0.2.1')).toBe('1.2.0.192');
  });

  it('reverses the 32 nibbles of an IPv6 address, expanding :: and ignoring case', () => {
    // RFC 5782 §2.4's example.
    expect(reversedIp('2001:DB8:abc:123::42')).toBe('2.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.2.1.0.c.b.a.0.8.b.d.0.1.0.0.2');
    expect(reversedIp('2001:db8::1')).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2`);
    expect(reversedIp('::1')).toBe(`1${'.0'.repeat(31)}`);
    expect(reversedIp('1:2:3:4:5:6:7:8')).toBe('8.0.0.0.7.0.0.0.6.0.0.0.5.0.0.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0');
    expect(reversedIp('64:ff9b::192.0.2.1')).toBe(reversedIp('64:ff9b::c000:201'));
  });

  it('refuses what is not an IP address', () => {
    expect(() => reversedIp('mail.example.org')).toThrow(/not an IP address/);
  });
});
