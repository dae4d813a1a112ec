import fs from 'node:fs';
import { internalHost, isSecured, type KuraConfig, redactSecrets, secretsFile, webmailUrl } from '@kura/config';
import Table from 'cli-table3';
import { selfServiceUrl } from './selfservice.js';
import { submissionCertificates } from './submission.js';

/** What a person or a script needs to use a running stack. */
export interface Endpoints {
  smtp: { host: string; port: number; tls: boolean };
  imap: { host: string; port: number; tls: boolean };
  pop3: { host: string; port: number; tls: boolean };
  /** Authenticated submission: STARTTLS required on `port`, implicit TLS on `tlsPort`; `ca` signs the local certificate. */
  submission: { host: string; port: number; tlsPort: number; ca?: string };
  api: { url: string };
  selfService: { url: string };
  /** Roundcube on the local stack (absent when webmail.enabled is false or in the HA profile). */
  webmail?: { url: string };
  mongodb: { uri: string; local: boolean };
  redis: { url: string; local: boolean };
  demo: { username: string; address: string; password: string };
  dataDir: string;
  pids: Record<string, number | undefined>;
}

export function describeEndpoints(config: KuraConfig, pids: Endpoints['pids']): Endpoints {
  const { host, ports, demo } = config;
  // Secured profile: STARTTLS on SMTP and IMAP, POP3 over implicit TLS; passwords stay in the secrets file.
  const tls = isSecured(config);
  return {
    smtp: { host, port: ports.smtp, tls },
    imap: { host, port: ports.imap, tls },
    pop3: { host, port: tls ? ports.pop3s : ports.pop3, tls },
    submission: { host, port: ports.submission, tlsPort: ports.submissions, ca: submissionCertificates(config).ca },
    api: { url: `http://${internalHost(config)}:${ports.api}` },
    selfService: { url: selfServiceUrl(config) },
    webmail: config.webmail.enabled && !tls ? { url: webmailUrl(config) } : undefined,
    mongodb: { uri: redactSecrets(config.mongodbUri), local: config.local.mongodb },
    redis: { url: redactSecrets(config.redisUrl), local: config.local.redis },
    demo: {
      username: demo.username,
      address: `${demo.username}@${demo.domain}`,
      password: tls ? `(demoPassword in ${secretsFile(config)})` : demo.password,
    },
    dataDir: config.dataDir,
    pids,
  };
}

export function writeEndpoints(file: string, endpoints: Endpoints): void {
  fs.writeFileSync(file, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

export function formatEndpoints(e: Endpoints, endpointsFile: string): string {
  const table = new Table({ head: ['service', 'endpoint', 'notes'] });
  table.push(
    ['SMTP (inbound MX)', `${e.smtp.host}:${e.smtp.port}`, e.smtp.tls ? 'STARTTLS' : 'plain, no TLS (loopback)'],
    ['IMAP', `${e.imap.host}:${e.imap.port}`, e.imap.tls ? 'STARTTLS required before login' : 'plain, no TLS (loopback)'],
    ['POP3', `${e.pop3.host}:${e.pop3.port}`, e.pop3.tls ? 'implicit TLS' : 'plain, no TLS (loopback)'],
    ['Self-service page', e.selfService.url, 'vacation reply and forwarding; log in with the mail password'],
    ['Submission', `${e.submission.host}:${e.submission.port}`, 'STARTTLS required before AUTH (like 587)'],
    ['Submission (TLS)', `${e.submission.host}:${e.submission.tlsPort}`, 'implicit TLS (like 465)'],
    ['WildDuck API', e.api.url, e.smtp.tls ? 'X-Access-Token (secrets file)' : 'no auth (loopback)'],
    ...(e.webmail ? [['Webmail', e.webmail.url, 'Roundcube; log in with the demo account']] : []),
    ['data tier', e.mongodb.uri, e.mongodb.local ? 'local FerretDB (SQLite)' : 'external MongoDB'],
    ['Redis', e.redis.url, e.redis.local ? 'local redis-server' : 'external Redis'],
  );
  return [
    table.toString(),
    `Demo account: ${e.demo.address}  user "${e.demo.username}"  password "${e.demo.password}"`,
    'Mail client: incoming IMAP (or POP3) server ' +
      `${e.imap.host}, port ${e.imap.port} (POP3 ${e.pop3.port}), connection security "${e.imap.tls ? 'STARTTLS (POP3: SSL/TLS)' : 'none'}", normal password, user "${e.demo.username}".`,
    `Mail client: outgoing SMTP server ${e.submission.host}, port ${e.submission.port} "STARTTLS" (or ${e.submission.tlsPort} "SSL/TLS"), normal password, user "${e.demo.username}"${e.submission.ca ? `; certificate signed by ${e.submission.ca}` : ''}.`,
    ...(e.webmail ? [`Webmail: open ${e.webmail.url} and log in as "${e.demo.username}" / "${e.demo.password}".`] : []),
    `Send it mail:  swaks --server ${e.smtp.host}:${e.smtp.port} --to ${e.demo.address}   (or any SMTP client)`,
    `Data: ${e.dataDir}    Same as JSON: ${endpointsFile}`,
    'Press Ctrl-C to stop everything.',
  ].join('\n');
}
