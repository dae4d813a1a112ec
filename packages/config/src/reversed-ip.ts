import net from 'node:net';

/**
 * The label sequence a DNS blocklist is asked under (RFC 5782 §2.1, §2.4): IPv4 octets reversed
 * (192.0.2.1 → 1.2.0.192), IPv6 as its 32 nibbles reversed. An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1, as a dual-stack socket reports an IPv4 client) is asked as the IPv4 address.
 * Used by the inbound check of clients and the guard's check of Kura's own addresses.
 */
export function reversedIp(ip: string): string {
  const v4 = ip.replace(/^::ffff:/i, '');
  if (net.isIPv4(v4)) return v4.split('.').reverse().join('.');
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail] = ip.toLowerCase().split('::');
  const groups = (part: string) => part.split(':').filter(Boolean).flatMap(embeddedIpv4);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const nibbles = full.map((g) => g.padStart(4, '0')).join('');
  return [...nibbles].reverse().join('.');
}

/** A dotted IPv4 tail of an IPv6 address (64:ff9b::192.0.2.1) is its last two 16-bit groups. */
function embeddedIpv4(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
