import { z } from 'zod';

const dnsServer = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\](:\d+)?|[0-9a-fA-F:]+|[^:\s]+(:\d+)?)$/, 'expected "host", "host:port" or "[v6]:port"');

/**
 * How the delivery agent sends (the `outbound` block besides relay and limits):
 * relay security, MX delivery, retries, lifetime, suppression and holds.
 */
export const outboundDelivery = {
  /** TLS to the relay: `opportunistic` (STARTTLS when offered), `starttls` (required), `tls` (implicit), `none`. */
  relayTls: z.enum(['opportunistic', 'starttls', 'tls', 'none']).default('opportunistic'),
  /** PEM file of CA certificates to trust for the relay's certificate besides the system's (a campus CA). */
  relayCaFile: z.string().min(1).optional(),
  /** User name for AUTH at the relay; the password comes from KURA_OUTBOUND_RELAY_PASSWORD, never from this file. */
  relayUser: z.string().min(1).optional(),
  /** Port of the recipients' MX hosts (25; tests point it at a loopback sink). */
  mxPort: z.number().int().min(1).max(65535).default(25),
  /** DNS servers for MX lookups; unset: trust.dnsServers, else the system's resolvers. */
  dnsServers: z.array(dnsServer).min(1).optional(),
  /** Messages sent at the same time by one node. */
  concurrency: z.number().int().min(1).max(100).default(4),
  /** One SMTP conversation (connect to end of DATA) may take this long before it counts as a temporary failure. */
  timeoutSeconds: z.number().positive().default(60),
  /** First retry after this many seconds, doubling up to retryMaxSeconds. */
  retryInitialSeconds: z.number().positive().default(60),
  retryMaxSeconds: z.number().positive().default(3600),
  /**
   * A recipient that keeps failing temporarily is given up (and the sender gets one bounce) after
   * this many days of real delivery attempts. Time in which Kura's own store or queue was down does not count.
   */
  maxQueueDays: z.number().positive().default(5),
  /** Sent and failed entries stay in the queue (for `kura queue list` and tracing) this many days, then go. */
  keepDays: z.number().positive().default(14),
  /** A hard-bounced address is refused for this many days. */
  suppressionDays: z.number().positive().default(30),
  /** Hold a sender (for an operator) whose recipients fail permanently at this rate. */
  hold: z
    .object({
      /** Share of failed recipients (0–1) within the window that holds the sender. */
      failureRate: z.number().min(0).max(1).default(0.5),
      /** Only once at least this many recipients failed within the window (a single typo holds nobody). */
      minFailures: z.number().int().min(1).default(10),
      windowSeconds: z.number().int().positive().default(3600),
    })
    .strict()
    .prefault({}),
};
