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
  /** Credentials: written in (the local stack's 0600 file), or appended from the operator's file at start (deploy/). */
  auth: 'inline' | 'appended';
}

/** One Sentinel of a quorum of three. */
export function renderSentinelConfig(config: KuraConfig, sentinelPort: number, dir: string, profile?: SentinelProfile): string {
  const { host, ports, redis } = config;
  const p: SentinelProfile = profile ?? {
    port: sentinelPort,
    bind: host,
    dir,
    primary: { host, port: ports.redis },
    resolveHostnames: false,
    // Local stack: notice a dead primary within a second and promote right away.
    downAfterMs: 1000,
    failoverTimeoutMs: 10000,
    auth: 'inline',
  };
  const secured = p.auth === 'appended' ? config.security.enabled : isSecured(config);
  // Secured: clients and the other Sentinels give `requirepass`; the Sentinel logs in to Redis as the ACL user.
  const auth = !secured
    ? []
    : p.auth === 'inline' && isSecured(config)
      ? [
          `requirepass ${config.secrets.sentinelPassword}`,
          `sentinel auth-user ${redis.name} ${REDIS_USER}`,
          `sentinel auth-pass ${redis.name} ${config.secrets.redisPassword}`,
        ]
      : [
          "# Credentials are appended at start from the operator's file (docs/security.md), never written here:",
          '#   requirepass SENTINEL_PASSWORD          (clients and the other Sentinels give it)',
          `#   sentinel auth-user ${redis.name} ${REDIS_USER}`,
          `#   sentinel auth-pass ${redis.name} REDIS_PASSWORD`,
        ];
  return [
    `port ${p.port}`,
    ...(p.bind ? [`bind ${p.bind}`] : []),
    'daemonize no',
    secured ? 'protected-mode yes' : 'protected-mode no',
    `dir ${p.dir}`,
    ...(p.resolveHostnames ? ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes'] : []),
    // A quorum of 2 declares the primary down; the majority of the 3 Sentinels authorises the failover.
    `sentinel monitor ${redis.name} ${p.primary.host} ${p.primary.port} 2`,
    `sentinel down-after-milliseconds ${redis.name} ${p.downAfterMs}`,
    `sentinel failover-timeout ${redis.name} ${p.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${redis.name} 1`,
    ...auth,
    '',
  ].join('\n');
}
