import crypto from 'node:crypto';

/**
 * The Sender Rewriting Scheme (Shevek's SRS0/SRS1 address forms, as libsrs2 and
 * ZoneMTA write them) for forwarded mail: the envelope sender becomes an address
 * of Kura's own rewrite domain, so the receiver's SPF check asks about Kura's
 * servers, and a bounce to it comes back to Kura, which reverses it to the
 * original sender. Kura's own code rather than the old `srs.js` package: that
 * one compares hashes case-sensitively, so a bounce whose address a relay
 * lower-cased fails to reverse. Only Kura verifies its hashes, so the hash is
 * HMAC-SHA256 in base32 (case-insensitive by construction).
 *
 *   SRS0=HHHHHH=TT=example.org=alice@forward.example.net
 *   SRS1=HHHHHH=relay.example=HHHHHH=TT=example.org=alice@forward.example.net
 */
export interface SrsOptions {
  secret: string;
  /** The rewrite domain: its SPF record must allow Kura's outbound hosts, its MX must be Kura. */
  domain: string;
  /** How long a rewritten address reverses, in days (bounces arrive within days). */
  maxAgeDays?: number;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HASH_LENGTH = 6;
/** Two base32 characters count days modulo 1024. */
const TIME_SLOTS = 1024;
const DAY_MS = 86_400_000;

const SRS0 = /^SRS0[=+-]([^=]+)=([^=]{2})=([^=]+)=(.+)$/i;
const SRS1 = /^SRS1[=+-]([^=]+)=([^=]+)=[=+-]?(.+)$/i;

export class SrsError extends Error {}

export class Srs {
  readonly domain: string;
  private readonly maxAgeDays: number;

  constructor(private readonly options: SrsOptions) {
    if (!options.secret) throw new Error('SRS needs a secret');
    if (!options.domain) throw new Error('SRS needs a rewrite domain');
    this.domain = options.domain.toLowerCase();
    this.maxAgeDays = options.maxAgeDays ?? 21;
  }

  /** The envelope sender for a forward of mail from `sender` ('' stays '': a bounce is forwarded as a bounce). */
  forward(sender: string, now = Date.now()): string {
    if (!sender) return '';
    const at = sender.lastIndexOf('@');
    if (at < 0) return sender;
    const local = sender.slice(0, at);
    const host = sender.slice(at + 1).toLowerCase();
    if (host === this.domain && (SRS0.test(local) || SRS1.test(local))) return sender;
    const srs1 = SRS1.exec(local);
    if (srs1) {
      // Already rewritten twice: keep the first forwarder's host and opaque part, re-sign for ours.
      const [, , first, opaque] = srs1 as unknown as [string, string, string, string];
      return `SRS1=${this.hash(first, opaque)}=${first}==${opaque}@${this.domain}`;
    }
    if (/^SRS0[=+-]/i.test(local)) {
      const opaque = local.slice(5);
      return `SRS1=${this.hash(host, opaque)}=${host}==${opaque}@${this.domain}`;
    }
    const stamp = timestamp(now);
    return `SRS0=${this.hash(stamp, host, local)}=${stamp}=${host}=${local}@${this.domain}`;
  }

  /** Whether `address` is one of this rewrite domain's SRS addresses (valid or not). */
  isSrsAddress(address: string): boolean {
    const at = address.lastIndexOf('@');
    return at > 0 && address.slice(at + 1).toLowerCase() === this.domain && /^SRS[01][=+-]/i.test(address.slice(0, at));
  }

  /** The address a bounce to `address` goes back to; throws SrsError for a forged, damaged or expired one. */
  reverse(address: string, now = Date.now()): string {
    if (!this.isSrsAddress(address)) throw new SrsError(`${address} is not an SRS address of ${this.domain}`);
    const local = address.slice(0, address.lastIndexOf('@'));
    const srs0 = SRS0.exec(local);
    if (srs0) {
      const [, hash, stamp, host, user] = srs0 as unknown as [string, string, string, string, string];
      this.check(hash, stamp, host, user);
      if (!fresh(stamp, this.maxAgeDays, now)) throw new SrsError(`${address} has expired`);
      return `${user}@${host}`;
    }
    const srs1 = SRS1.exec(local);
    if (srs1) {
      const [, hash, first, opaque] = srs1 as unknown as [string, string, string, string];
      this.check(hash, first, opaque);
      return `SRS0=${opaque}@${first}`;
    }
    throw new SrsError(`${address} is not a well-formed SRS address`);
  }

  private hash(...parts: string[]): string {
    const hmac = crypto.createHmac('sha256', this.options.secret);
    // Lower-cased: relays may change the case of a local part, and the hash must survive that.
    for (const part of parts) hmac.update(`${part.toLowerCase()}\0`);
    const digest = hmac.digest();
    let out = '';
    for (let i = 0; i < HASH_LENGTH; i++) out += BASE32[(digest[i] as number) & 31];
    return out;
  }

  private check(hash: string, ...parts: string[]): void {
    const expected = Buffer.from(this.hash(...parts));
    const given = Buffer.from(hash.toUpperCase());
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw new SrsError('SRS hash does not match');
  }
}

function timestamp(now: number): string {
  const day = Math.floor(now / DAY_MS) % TIME_SLOTS;
  return `${BASE32[day >> 5]}${BASE32[day & 31]}`;
}

function fresh(stamp: string, maxAgeDays: number, now: number): boolean {
  const [high, low] = [BASE32.indexOf(stamp[0]?.toUpperCase() ?? ''), BASE32.indexOf(stamp[1]?.toUpperCase() ?? '')];
  if (high < 0 || low < 0) return false;
  const then = (high << 5) | low;
  const today = Math.floor(now / DAY_MS) % TIME_SLOTS;
  const age = (today - then + TIME_SLOTS) % TIME_SLOTS;
  return age <= maxAgeDays;
}
