import type { KuraConfig } from './resolve.js';
import { REDIS_USER } from './secrets.js';
import { isSecured } from './security.js';

/** What the Sentinels of `kura up --ha` and those of deploy/ do differently; the quorum and the monitored name are the same. */
export interface SentinelProfile {
  port: number;
  /** The address to listen on; none: every address. */
  bind?: string;
  dir: string;
  /** The Redis primary Sentinel starts watching (Sentinel follows promotions itself). */
  primary: { host: string; port: number };
  /** Needed when the primary is named by a host name (compose services) rather than an address. */
  resolveHostnames: boolean;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /**
   * Secured form: the passwords written in (the local stack's 0600 file), or `appended` from the
   * operator's file at start (deploy/, so no secret is committed). None: no password at all.
   */
  credentials?: { sentinelPassword: string; redisPassword: string } | 'appended';
}

/** One Sentinel of the local stack's quorum of three, on loopback, watching the local Redis primary. */
export function localSentinelProfile(config: KuraConfig, port: number, dir: string): SentinelProfile {
  return {
    port,
    bind: config.host,
    dir,
    primary: { host: config.host, port: config.ports.redis },
    resolveHostnames: false,
    // Local stack: notice a dead primary within a second and promote right away.
    downAfterMs: 1000,
    failoverTimeoutMs: 10000,
    ...(isSecured(config)
      ? { credentials: { sentinelPassword: config.secrets.sentinelPassword, redisPassword: config.secrets.redisPassword } }
      : {}),
  };
}

/** One Sentinel of a quorum of three. */
export function renderSentinelConfig(config: KuraConfig, profile: SentinelProfile): string {
  const { name } = config.redis;
  const { credentials } = profile;
  // Secured: clients and the other Sentinels give `requirepass`; the Sentinel logs in to Redis as the ACL user.
  const auth =
    credentials === undefined
      ? []
      : credentials === 'appended'
        ? [
            "# Credentials are appended at start from the operator's file (docs/security.md), never written here:",
            '#   requirepass SENTINEL_PASSWORD          (clients and the other Sentinels give it)',
            `#   sentinel auth-user ${name} ${REDIS_USER}`,
            `#   sentinel auth-pass ${name} REDIS_PASSWORD`,
          ]
        : [
            `requirepass ${credentials.sentinelPassword}`,
            `sentinel auth-user ${name} ${REDIS_USER}`,
            `sentinel auth-pass ${name} ${credentials.redisPassword}`,
          ];
  return [
    `port ${profile.port}`,
    ...(profile.bind ? [`bind ${profile.bind}`] : []),
    'daemonize no',
    credentials === undefined ? 'protected-mode no' : 'protected-mode yes',
    `dir ${profile.dir}`,
    ...(profile.resolveHostnames ? ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes'] : []),
    // A quorum of 2 declares the primary down; the majority of the 3 Sentinels authorises the failover.
    `sentinel monitor ${name} ${profile.primary.host} ${profile.primary.port} 2`,
    `sentinel down-after-milliseconds ${name} ${profile.downAfterMs}`,
    `sentinel failover-timeout ${name} ${profile.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
    ...auth,
    '',
  ].join('\n');
}
