import { stringify } from 'smol-toml';
import { redisConnectionOptions } from './redis-url.js';
import type { KuraConfig } from './resolve.js';

export interface WildDuckPorts {
  imap: number;
  pop3: number;
  api: number;
}

/**
 * WildDuck's configuration overlay (merged by WildDuck over its own defaults).
 * Ports are a parameter so that several instances can share one Kura config.
 */
export function renderWildDuckConfig(config: KuraConfig, ports: WildDuckPorts = config.ports): string {
  const host = config.host;
  return stringify({
    emailDomain: config.demo.domain,
    processes: 1,
    dbs: {
      mongo: failFast(config.mongodbUri),
      // A plain URL, or Sentinel options so that WildDuck follows a Redis failover.
      redis: redisConnectionOptions(config.redisUrl),
      sender: 'zone-mta',
    },
    imap: {
      enabled: true,
      host,
      port: ports.imap,
      secure: false,
      // Loopback listener without certificates: clients must not be offered STARTTLS
      // with WildDuck's sample certificate. Production terminates TLS at HAProxy.
      disableSTARTTLS: true,
      setup: { hostname: config.hostname, secure: false, port: ports.imap },
    },
    pop3: {
      enabled: true,
      host,
      port: ports.pop3,
      secure: false,
      disableSTARTTLS: true,
      maxMessages: config.pop3.maxMessages,
      setup: { hostname: config.hostname, secure: false, port: ports.pop3 },
    },
    lmtp: { enabled: false },
    api: {
      enabled: true,
      host,
      port: ports.api,
      secure: false,
      accessControl: { enabled: false },
    },
    tasks: { enabled: true },
    webhooks: { enabled: false },
    elasticsearch: { enabled: false, indexer: { enabled: false } },
    log: { level: wildDuckLogLevel(config.logLevel) },
    smtp: { setup: { hostname: config.hostname, secure: false, port: config.ports.smtp } },
  });
}

function wildDuckLogLevel(level: KuraConfig['logLevel']): string {
  return level === 'trace' ? 'silly' : level === 'debug' ? 'verbose' : level;
}

/**
 * With the data tier unreachable, WildDuck should answer NO/BYE within seconds
 * rather than hold IMAP clients for the driver's default 30 s server selection.
 */
function failFast(uri: string): string {
  if (/[?&]serverSelectionTimeoutMS=/i.test(uri)) return uri;
  return `${uri}${uri.includes('?') ? '&' : '?'}serverSelectionTimeoutMS=5000`;
}
