import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const optionalHost = z.string().min(1).optional();

/**
 * High-availability topology: the instances behind HAProxy and the Redis
 * Sentinel quorum. `kura up --ha` starts all of it locally; a production
 * deployment names its hosts here so the guard and `kura drill` can reach them.
 */
export const haSchema = z
  .object({
    /**
     * WildDuck instances (IMAP, POP3, API, and the deep health endpoint HAProxy checks) behind HAProxy.
     * In the secured profile `imap` requires STARTTLS, `imaps` is implicit TLS, `pop3` is implicit TLS and
     * `pop3Stls` (optional) is POP3 that requires STLS before USER/PASS/AUTH (HAProxy's `ports.pop3`).
     */
    wildduck: z
      .array(
        z
          .object({
            host: optionalHost,
            imap: port,
            imaps: port.optional(),
            pop3: port,
            pop3Stls: port.optional(),
            api: port,
            health: port,
          })
          .strict(),
      )
      .min(2)
      .default([
        { imap: 9243, imaps: 9293, pop3: 9210, pop3Stls: 9211, api: 9280, health: 9281 },
        { imap: 9343, imaps: 9393, pop3: 9310, pop3Stls: 9311, api: 9380, health: 9381 },
      ]),
    /** Haraka instances (SMTP, plus the inbound plugin's deep health endpoint) behind HAProxy. */
    haraka: z
      .array(
        z
          .object({
            host: optionalHost,
            smtp: port,
            health: port,
            /** The inbound plugin's Prometheus metrics of this instance (unset: none). */
            metrics: port.optional(),
          })
          .strict(),
      )
      .min(2)
      .default([
        { smtp: 2625, health: 2680, metrics: 2681 },
        { smtp: 2725, health: 2780, metrics: 2781 },
      ]),
    /** Submission instances (STARTTLS port, implicit-TLS port, health and metrics) behind HAProxy. */
    submission: z
      .array(z.object({ host: optionalHost, submission: port, submissions: port, health: port, metrics: port.optional() }).strict())
      .min(2)
      .default([
        { submission: 9687, submissions: 9665, health: 9688, metrics: 9689 },
        { submission: 9787, submissions: 9765, health: 9788, metrics: 9789 },
      ]),
    /** The local Redis replica that Sentinel promotes when the primary dies. */
    redisReplica: port.default(6381),
    /** The three local Sentinels. */
    sentinels: z.array(port).length(3).default([26380, 26381, 26382]),
    haproxy: z
      .object({
        /** HAProxy's stats page and Prometheus endpoint. */
        stats: port.default(9404),
        /**
         * HAProxy's runtime API (admin level) as a Unix socket, never TCP: where the guard drains a sick
         * instance, so the guard runs on the HAProxy host. Default <dataDir>/run/haproxy.sock.
         */
        runtimeSocket: z.string().min(1).optional(),
        /** Where HAProxy listens, seen from the guard and `kura drill` (default: `host`). */
        host: optionalHost,
        /** Addresses (CIDR) allowed to send the PROXY protocol to Haraka, i.e. HAProxy's; unset locally. */
        proxyProtocolFrom: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/**
 * The guard's watch over Kura's own sending reputation: each own IP is looked up in the IP zones
 * (RFC 5782: the reversed address under the zone), each own domain in the domain zones. An answer in
 * 127.0.0.0/8 (but not 127.255.255.x, the lists' own error codes) is a listing; a DNS failure is "unknown".
 */
const blocklistSchema = z
  .object({
    /** Kura's own sending IPs (what outbound mail leaves from). Empty: nothing is checked. */
    ips: z.array(z.union([z.ipv4(), z.ipv6()])).default([]),
    /** Kura's own sending domains (envelope senders, DKIM domains). */
    domains: z.array(z.string().min(3)).default([]),
    /** IP blocklist zones (DNSBLs). */
    ipZones: z.array(z.string().min(3)).default(['zen.spamhaus.org', 'bl.spamcop.net']),
    /** Domain blocklist zones (RHSBL / DBL). */
    domainZones: z.array(z.string().min(3)).default(['dbl.spamhaus.org']),
    /** How often every pair is looked up again. */
    intervalMs: z.number().int().min(1_000).default(900_000),
    /**
     * DNS servers asked ("ip" or "ip:port"); unset: the system's. Public lists refuse queries coming
     * through large public resolvers, so point this at the site's own recursive resolver.
     */
    dnsServers: z.array(z.string().min(1)).optional(),
    dnsTimeoutMs: z.number().int().min(100).default(5_000),
  })
  .strict()
  .prefault({});

/** The guard: probes, canary, status page, alerts and failover actions. */
export const guardSchema = z
  .object({
    /** HTTP port of /health, /metrics and the status page. */
    port: port.default(9091),
    probeIntervalMs: z.number().int().min(200).default(5_000),
    probeTimeoutMs: z.number().int().min(200).default(5_000),
    /** How often a canary message is sent through SMTP and looked for over IMAP. */
    canaryIntervalMs: z.number().int().min(500).default(30_000),
    /** Canary delivery latency above this is an alert ("mail is delayed"). */
    canaryAlertMs: z.number().int().positive().default(60_000),
    canary: z
      .object({
        username: z.string().min(1).default('kura-canary'),
        password: z.string().min(8).default('kura-canary-password'),
      })
      .strict()
      .prefault({}),
    /** Data-tier replication lag above this (seconds) marks the data tier degraded. */
    maxReplicationLagSeconds: z.number().positive().default(10),
    alerts: z
      .object({
        /** POSTed a JSON body for every incident opened or resolved. */
        webhook: z.url().optional(),
        /** Mailed for every incident opened or resolved, through `smtpHost:smtpPort` (not through Kura itself). */
        email: z
          .object({
            to: z.array(z.string().min(3)).min(1),
            from: z.string().min(3).default('kura-guard@localhost'),
            smtpHost: z.string().min(1).default('127.0.0.1'),
            smtpPort: port.default(25),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    blocklist: blocklistSchema,
    failover: z
      .object({
        /** Drain an instance in HAProxy when the guard's own probes of it keep failing. */
        enabled: z.boolean().default(true),
        /** Consecutive failed probes of one instance before it is drained. */
        afterFailures: z.number().int().min(1).default(3),
        /** At most one failover action in this window. */
        minIntervalMs: z.number().int().min(0).default(300_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
