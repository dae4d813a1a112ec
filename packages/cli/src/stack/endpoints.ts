import fs from 'node:fs';
import type { KuraConfig } from '@kura/config';
import Table from 'cli-table3';

/** What a person or a script needs to use a running stack. */
export interface Endpoints {
  smtp: { host: string; port: number; tls: false };
  imap: { host: string; port: number; tls: false };
  pop3: { host: string; port: number; tls: false };
  api: { url: string };
  mongodb: { uri: string; local: boolean };
  redis: { url: string; local: boolean };
  demo: { username: string; address: string; password: string };
  dataDir: string;
  pids: Record<string, number | undefined>;
}

export function describeEndpoints(config: KuraConfig, pids: Endpoints['pids']): Endpoints {
  const { host, ports, demo } = config;
  return {
    smtp: { host, port: ports.smtp, tls: false },
    imap: { host, port: ports.imap, tls: false },
    pop3: { host, port: ports.pop3, tls: false },
    api: { url: `http://${host}:${ports.api}` },
    mongodb: { uri: redact(config.mongodbUri), local: config.local.mongodb },
    redis: { url: redact(config.redisUrl), local: config.local.redis },
    demo: { username: demo.username, address: `${demo.username}@${demo.domain}`, password: demo.password },
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
    ['SMTP (inbound MX)', `${e.smtp.host}:${e.smtp.port}`, 'plain, no TLS (loopback)'],
    ['IMAP', `${e.imap.host}:${e.imap.port}`, 'plain, no TLS (loopback)'],
    ['POP3', `${e.pop3.host}:${e.pop3.port}`, 'plain, no TLS (loopback)'],
    ['WildDuck API', e.api.url, 'no auth (loopback)'],
    ['data tier', e.mongodb.uri, e.mongodb.local ? 'local FerretDB (SQLite)' : 'external MongoDB'],
    ['Redis', e.redis.url, e.redis.local ? 'local redis-server' : 'external Redis'],
  );
  return [
    table.toString(),
    `Demo account: ${e.demo.address}  user "${e.demo.username}"  password "${e.demo.password}"`,
    'Mail client: incoming IMAP (or POP3) server ' +
      `${e.imap.host}, port ${e.imap.port} (POP3 ${e.pop3.port}), connection security "none", normal password, user "${e.demo.username}".`,
    `Send it mail:  swaks --server ${e.smtp.host}:${e.smtp.port} --to ${e.demo.address}   (or any SMTP client)`,
    `Data: ${e.dataDir}    Same as JSON: ${endpointsFile}`,
    'Press Ctrl-C to stop everything.',
  ].join('\n');
}

function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
