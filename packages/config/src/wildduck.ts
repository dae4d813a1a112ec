import { stringify } from 'smol-toml';
import { redisConnectionOptions } from './redis-url.js';
import type { KuraConfig } from './resolve.js';
import { GUARD_API_GRANTS, GUARD_API_ROLE, internalHost, isSecured } from './security.js';

export interface WildDuckPorts {
  imap: number;
  pop3: number;
  api: number;
  /** Implicit-TLS IMAP (secured profile only). */
  imaps?: number;
  /** POP3 with STLS required before login, next to implicit-TLS `pop3` (secured profile only). */
  pop3Stls?: number;
}

/**
 * WildDuck's configuration overlay (merged by WildDuck over its own defaults).
 * Ports are a parameter so that several instances can share one Kura config.
 */
export function renderWildDuckConfig(config: KuraConfig, ports: WildDuckPorts = config.ports): string {
  const host = config.host;
  const base = {
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
  };
  return stringify({ ...base, ...securedOverlay(config, ports, base) });
}

/**
 * The secured profile: certificates from config, STARTTLS required before
 * LOGIN/AUTHENTICATE on the IMAP port, implicit TLS on a second IMAP port;
 * POP3 over implicit TLS plus, when the instance has a `pop3Stls` port, POP3
 * that refuses USER/PASS/AUTH before STLS (a second listener in the same
 * process: Kura's WildDuck patch 012), the API on the internal address with
 * the master token, signed per-user tokens and no CORS.
 * Each block extends the plain profile's one.
 */
function securedOverlay(
  config: KuraConfig,
  ports: WildDuckPorts,
  base: { imap: object; pop3: object; api: object },
): Record<string, unknown> {
  if (!isSecured(config)) return {};
  const { tls } = config.security;
  const host = config.host;
  const setup = (port: number) => ({ hostname: config.hostname, secure: true, port });
  return {
    tls: { key: tls.key, cert: tls.cert },
    imap: {
      ...base.imap,
      disableSTARTTLS: false,
      // HAProxy sends the PROXY protocol (v1): logs and per-IP limits see the client, not HAProxy.
      // WildDuck 1.51 applies it to IMAP and POP3 alike and to every source, so instances stay internal.
      useProxy: true,
      interface: [{ enabled: true, host, port: ports.imaps ?? config.ports.imaps, secure: true }],
      setup: setup(config.ports.imaps),
    },
    pop3: {
      ...base.pop3,
      secure: true,
      setup: setup(config.ports.pop3s),
      ...(ports.pop3Stls
        ? { interface: [{ enabled: true, host, port: ports.pop3Stls, secure: false, disableSTARTTLS: false, ignoreSTARTTLS: false }] }
        : {}),
    },
    api: {
      ...base.api,
      host: internalHost(config),
      accessToken: config.secrets.apiToken,
      accessControl: { enabled: true, secret: config.secrets.apiSigningSecret },
      // Added to WildDuck's own roles (roles.json): what the guard's token may do.
      roles: { [GUARD_API_ROLE]: GUARD_API_GRANTS },
      cors: { origins: [] },
    },
    // DKIM private keys are stored encrypted; Kura's delivery agent reads them with the same secret.
    dkim: { secret: config.secrets.dkimSecret },
  };
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
