import { promises as dns } from 'node:dns';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { KuraConfig } from '@kura/config';
import type { SmtpPeer } from './smtp-send.js';

const require = createRequire(import.meta.url);
interface MxConnection {
  socket: import('node:net').Socket;
  hostname: string;
  host: string;
  port: number;
}
const mxConnect: (options: Record<string, unknown>) => Promise<MxConnection> = require('mx-connect');

/** A route that could not be opened: permanent (no such domain, null MX) or worth another try. */
export class RouteError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * The MX resolver: outbound.dnsServers, else trust.dnsServers, else the
 * system's, with one try per query under trust.dnsTimeoutMs so a dead DNS
 * server defers mail quickly instead of holding a delivery slot for minutes.
 */
export function mxResolver(config: KuraConfig): (name: string, type: string) => Promise<unknown[]> {
  const resolver = new dns.Resolver({ timeout: config.trust.dnsTimeoutMs, tries: 1 });
  const servers = config.outbound.dnsServers ?? config.trust.dnsServers;
  if (servers) resolver.setServers(servers);
  return (name, type) => resolver.resolve(name, type) as Promise<unknown[]>;
}

/** The configured relay as a peer, or undefined when mail goes to each domain's MX. */
export function relayPeer(config: KuraConfig, env: NodeJS.ProcessEnv = process.env): SmtpPeer | undefined {
  const { relay, relayTls, relayUser, relayCaFile } = config.outbound;
  if (!relay) return undefined;
  const cut = relay.lastIndexOf(':');
  const pass = env.KURA_OUTBOUND_RELAY_PASSWORD;
  return {
    kind: 'relay',
    host: relay.slice(0, cut),
    port: Number(relay.slice(cut + 1)),
    tls: relayTls,
    ...(relayCaFile ? { ca: fs.readFileSync(path.resolve(config.dataDir, relayCaFile), 'utf8') } : {}),
    ...(relayUser ? { auth: { user: relayUser, pass: pass ?? '' } } : {}),
  };
}

/**
 * A user's own relay (WildDuck's `relay` forwarding target: smtp://[user:pass@]host[:port],
 * or smtps:// for implicit TLS) as a peer. STARTTLS when offered, as on the way to an MX.
 * A URL that is not one of these is a permanent routing error: retrying cannot mend it.
 */
export function routePeer(route: string): SmtpPeer {
  let url: URL;
  try {
    url = new URL(route);
  } catch {
    throw new RouteError('relay target is not a URL', true);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new RouteError(`relay target protocol ${url.protocol} is not smtp: or smtps:`, true);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new RouteError('relay target names no host', true);
  const secure = url.protocol === 'smtps:';
  return {
    kind: 'relay',
    host,
    port: Number(url.port) || (secure ? 465 : 25),
    tls: secure ? 'tls' : 'opportunistic',
    ...(url.username || url.password ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
  };
}

/**
 * Connects to the best reachable MX of `domain` (MX records by preference,
 * the domain's own address when it has none, RFC 5321 section 5.1), through
 * mx-connect, the MX connector of Nodemailer's author also used by ZoneMTA.
 */
export async function connectMx(
  domain: string,
  options: { resolve: (name: string, type: string) => Promise<unknown[]>; port: number; timeoutMs: number; hostname: string },
): Promise<SmtpPeer> {
  try {
    const connection = await mxConnect({
      target: domain,
      port: options.port,
      maxConnectTime: options.timeoutMs,
      localHostname: options.hostname,
      dnsOptions: { resolveRecords: options.resolve },
    });
    return { kind: 'mx', socket: connection.socket, hostname: connection.hostname };
  } catch (caught) {
    const err = caught as Error & { code?: string; temporary?: boolean; category?: string };
    // Only a DNS answer that the domain has no mail host at all is final; any failure to ask or to connect is not.
    const permanent = err.code === 'ENULLMX' || (err.category === 'dns' && err.temporary !== true && err.code === 'ENOTFOUND');
    throw new RouteError(`${domain}: ${err.message}`, permanent);
  }
}
