import { z } from 'zod';

/** "host" or "host:port" (IPv4), "[v6]:port" or a bare IPv6 address: what Node's resolver accepts. */
const dnsServer = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\](:\d+)?|[0-9a-fA-F:]+|[^:\s]+(:\d+)?)$/, 'expected "host", "host:port" or "[v6]:port"');
const zone = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'expected a DNS zone such as "zen.spamhaus.org"');

/**
 * How the MX judges incoming mail: sender authentication (SPF, DKIM, DMARC,
 * ARC), the rspamd content scanner, and DNS blocklists at connect. The time
 * budget and concurrency cap of scanning stay in `smtp.scanner`.
 */
export const trustSchema = z
  .object({
    /** DNS servers for authentication and blocklist lookups; unset: the system's resolvers. */
    dnsServers: z.array(dnsServer).min(1).optional(),
    /** One DNS query may take this long before it counts as a temporary DNS error. */
    dnsTimeoutMs: z.number().int().positive().default(2_000),
    authentication: z
      .object({
        /** Check SPF, DKIM, DMARC and ARC for every message and add one Authentication-Results header. */
        enabled: z.boolean().default(true),
        /** What a DMARC failure under `p=reject` does: refuse (550 5.7.1) or store in Junk. `p=quarantine` always means Junk. */
        dmarcReject: z.enum(['reject', 'junk']).default('reject'),
        /** All checks of one message together may take this long; then every verdict is temperror and the mail goes on. */
        timeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    rspamd: z
      .object({
        /** rspamd is the content scanner unless `smtp.scanner.command` names another one. */
        enabled: z.boolean().default(true),
        /** An rspamd that runs elsewhere (e.g. "http://rspamd.internal:11333"); unset: the local stack starts its own on ports.rspamd. */
        url: z.string().url().optional(),
        /** Junk at or above this score, or when rspamd's action says so ("add header", "rewrite subject", "reject"). */
        junkScore: z.number().default(6),
        /** Refuse (550 5.7.1) at or above this score; null: never refuse, store in Junk instead. */
        rejectScore: z.number().nullable().default(15),
        /** Larger messages are not sent to rspamd (marked skipped, never temp-failed): a flood of big attachments must not eat the scanner. */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
        /** The local rspamd's compiled-pattern cache (slow to build the first time); default <dataDir>/rspamd/cache. */
        cacheDir: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    blocklists: z
      .object({
        /** DNS blocklist zones asked about every connecting IP (e.g. "zen.spamhaus.org"); empty: no checks. */
        zones: z.array(zone).default([]),
        /** How long a lookup result (listed or not) is reused for the same IP. */
        cacheSeconds: z.number().int().min(0).default(300),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
