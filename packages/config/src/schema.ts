import { z } from 'zod';
import { guardSchema, haSchema } from './schema-ha.js';
import { outboundDelivery } from './schema-outbound.js';
import { securitySchema } from './schema-security.js';
import { selfServiceSchema } from './schema-selfservice.js';
import { submissionSchema } from './schema-submission.js';
import { trustSchema } from './schema-trust.js';
import { webmailSchema } from './schema-webmail.js';

const port = z.number().int().min(1).max(65535);
/** A rate such as "100/5m" (count per seconds, minutes, hours or days), or "0" for no limit. */
const rate = z.string().regex(/^(0|\d+\/\d*[smhd]?)$/, 'expected a rate like "100/5m", or "0" for no limit');

/** The one typed configuration of a Kura stack (file: kura.config.json). */
export const kuraConfigSchema = z
  .object({
    /** Name this mail system answers with in greetings and trace headers. */
    hostname: z.string().min(1).default('localhost'),
    /** Where the local stack keeps its data (databases, generated config, logs). */
    dataDir: z.string().min(1).default('.kura/data'),
    /** Address every local service binds to. Loopback unless you front it with a proxy. */
    host: z.string().default('127.0.0.1'),
    ports: z
      .object({
        smtp: port.default(2525),
        imap: port.default(9143),
        pop3: port.default(9110),
        api: port.default(9080),
        mongodb: port.default(27018),
        redis: port.default(6380),
        /** Prometheus metrics of the inbound MX (GET /metrics). */
        smtpMetrics: port.default(9025),
        /** The local rspamd's HTTP API (loopback; started only when rspamd is the scanner and no url is set). */
        rspamd: port.default(9333),
        /** Implicit-TLS IMAP and POP3 (993 and 995 in production); served by the secured profile only. */
        imaps: port.default(9993),
        pop3s: port.default(9995),
        /** Authenticated submission: STARTTLS required before AUTH (587 in production). */
        submission: port.default(9587),
        /** Authenticated submission over implicit TLS (465 in production). */
        submissions: port.default(9465),
        /** Prometheus metrics (GET /metrics) and health (GET /health) of the submission service. */
        submissionMetrics: port.default(9026),
        /** Webmail (Roundcube) over HTTP on the local stack; production puts it behind the TLS front. */
        webmail: port.default(9480),
        /** Kura's self-service page (vacation reply, forwarding), Japanese and English. */
        selfService: port.default(9481),
      })
      .strict()
      .prefault({}),
    mongodb: z
      .object({
        /** External MongoDB (replica set) URI; when unset, the local data tier is started. */
        uri: z.string().optional(),
        database: z.string().min(1).default('kura'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** External Redis URL; when unset, a local redis-server is started. */
        url: z.string().optional(),
        db: z.number().int().min(0).max(15).default(3),
        /** Redis Sentinels (host:port) to ask for the current primary; set for a production Redis with failover. */
        sentinels: z.array(z.string().regex(/^[^:]+:\d+$/, 'expected "host:port"')).optional(),
        /** The primary's name as the Sentinels know it. */
        name: z.string().min(1).default('kura'),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        /** Largest message accepted (advertised as SIZE). */
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(50 * 1024 * 1024),
        /** How long storing a message (every recipient's copy) may take before it is temp-failed (451 4.3.0). */
        deliveryTimeoutMs: z.number().int().positive().default(30_000),
        /** How long a recipient lookup (RCPT) or the repeat check (after DATA) may take before it is temp-failed. */
        lookupTimeoutMs: z.number().int().positive().default(10_000),
        /** A retry of a message already stored within this window is acknowledged, not stored again. */
        duplicateWindowMs: z
          .number()
          .int()
          .positive()
          .default(24 * 3600 * 1000),
        /** A longer header line is refused (554 5.6.0) instead of being stored cut short. RFC 5322 asks for 998. */
        maxHeaderLineBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024),
        /** More Received headers than this is a loop (554 5.4.6). */
        maxHops: z.number().int().positive().default(30),
        /** Messages above this size are stored through the large-message lane. */
        largeMessageBytes: z
          .number()
          .int()
          .positive()
          .default(5 * 1024 * 1024),
        /** The large-message lane: deliveries and bytes in flight at once (per MX process). */
        largeLane: z
          .object({
            concurrency: z.number().int().positive().default(2),
            bytesInFlight: z
              .number()
              .int()
              .positive()
              .default(100 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
        /** How long a message may wait for room in its lane before it is temp-failed. */
        laneWaitTimeoutMs: z.number().int().positive().default(120_000),
        /** The same content for the same recipient more often than this within the window is temp-failed (loop brake). */
        repeatThreshold: z.number().int().positive().default(20),
        repeatWindowSeconds: z.number().int().positive().default(3600),
        /**
         * Optional content scanner: a command that reads the message on stdin and exits 0 (clean)
         * or 1 (junk: stored in the Junk mailbox). It runs within a time budget and a concurrency cap;
         * a scan that cannot run in time is "skipped" and `onScannerUnavailable` decides.
         */
        scanner: z
          .object({
            command: z.array(z.string().min(1)).min(1).optional(),
            timeoutMs: z.number().int().positive().default(5_000),
            maxConcurrent: z.number().int().positive().default(4),
            onScannerUnavailable: z.enum(['deliver', 'tempfail']).default('deliver'),
          })
          .strict()
          .prefault({}),
        /** Per-client and per-address limits, shared by all MX instances through Redis ("N/period", 0 = off). */
        limits: z
          .object({
            concurrentConnectionsPerIp: z.number().int().min(0).default(50),
            connectionsPerIp: rate.default('600/1m'),
            recipientsPerIp: rate.default('3000/5m'),
            recipientsPerSender: rate.default('2000/5m'),
            messagesPerRecipient: rate.default('1000/5m'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    pop3: z
      .object({
        /**
         * How many of the newest INBOX messages a POP3 session lists (WildDuck's own default is 250,
         * which hides the rest of a migrated maildrop). Per user: `kura user pop3-limit`.
         */
        maxMessages: z.number().int().positive().default(100_000),
      })
      .strict()
      .prefault({}),
    demo: z
      .object({
        domain: z.string().min(1).default('kura.test'),
        username: z.string().min(1).default('demo'),
        password: z.string().min(8).default('demo-password'),
      })
      .strict()
      .prefault({}),
    /** Mail Kura emits itself (submissions, auto-replies, forwards): how it leaves and how much of it. */
    outbound: z
      .object({
        /**
         * Smart host for all outbound mail (host:port). Without one, the delivery agent looks up
         * each recipient domain's MX and delivers there directly.
         */
        relay: z
          .string()
          .regex(/^[^:]+:\d+$/, 'expected "host:port"')
          .optional(),
        /** SRS rewrite domain of forwarded mail (default: hostname); its SPF must allow Kura, its MX must be Kura. */
        srsDomain: z.string().min(1).optional(),
        ...outboundDelivery,
        /**
         * At most this many recipients per user per hour, over all mail Kura sends for the user
         * (submissions, auto-replies, forwards), counted across all nodes in Redis.
         */
        perUserPerHour: z.number().int().min(0).default(100),
        /** At most this many recipients per hour for all users of one sender domain together. */
        perDomainPerHour: z.number().int().min(0).default(2000),
        /** At most one auto-reply to the same sender per user within this many seconds (RFC 3834). */
        autoReplyIntervalSeconds: z
          .number()
          .int()
          .positive()
          .default(4 * 24 * 3600),
      })
      .strict()
      .prefault({}),
    snapshot: z
      .object({
        /** Where snapshots are written (relative to the config file); default <dataDir>/snapshots. */
        dir: z.string().min(1).optional(),
        /** How many to keep: the newest of each of the last N days / ISO weeks / months that have one (UTC). */
        retention: z
          .object({
            daily: z.number().int().min(0).default(7),
            weekly: z.number().int().min(0).default(4),
            monthly: z.number().int().min(0).default(12),
          })
          .strict()
          .prefault({}),
        /** Upper bound (approximate, compressed bytes) of one chunk file. */
        chunkBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(64 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    ha: haSchema,
    guard: guardSchema,
    selfService: selfServiceSchema,
    trust: trustSchema,
    security: securitySchema,
    submission: submissionSchema,
    webmail: webmailSchema,
  })
  .strict();

export type KuraConfigInput = z.input<typeof kuraConfigSchema>;
export type KuraConfigFile = z.output<typeof kuraConfigSchema>;
