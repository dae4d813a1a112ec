import path from 'node:path';
import { wildduckProcess } from '@kura/access';
import { type KuraConfig, runsLocalRspamd } from '@kura/config';
import { harakaBin } from '@kura/inbound';
import { pingDatabase } from '@kura/store';
import { firstLine } from './probe.js';
import { rspamdService } from './rspamd.js';
import { selfServiceService } from './selfservice.js';
import { submissionService } from './submission.js';
import { webmailService } from './webmail.js';

/** One process of the local stack: how to start it and how to know it really answers. */
export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Ports this service binds, checked free before start (name → port). */
  ports: Record<string, number>;
  /** Resolves once the service answers a real protocol greeting. */
  ready(): Promise<void>;
  /** How long `ready` may take to succeed (default: the supervisor's). */
  readyTimeoutMs?: number;
}

/** A greeting check: the first line must match `expected`. */
function expectGreeting(host: string, port: number, expected: RegExp, send?: string) {
  return async () => {
    const line = await firstLine(host, port, send);
    if (!expected.test(line)) throw new Error(`unexpected greeting on ${host}:${port}: ${line}`);
  };
}

export class SetupError extends Error {
  override name = 'SetupError';
}

/** The services of the local stack in start order; external tiers (MONGODB_URI, REDIS_URL) are left out. */
export function localServices(config: KuraConfig): ServiceSpec[] {
  const { host, ports } = config;
  const services: ServiceSpec[] = [];

  if (config.local.mongodb) {
    const bin = process.env.KURA_FERRETDB_BIN;
    if (!bin) {
      throw new SetupError(
        'the FerretDB launcher is not built (KURA_FERRETDB_BIN is unset): start the stack with `npm start`, which builds it, or set MONGODB_URI',
      );
    }
    services.push({
      name: 'ferretdb',
      command: bin,
      args: ['--listen', `${host}:${ports.mongodb}`, '--data-dir', config.paths.ferretdb, '--log-level', 'error'],
      ports: { mongodb: ports.mongodb },
      ready: () => pingDatabase(config.mongodbUri),
    });
  }

  if (config.local.redis) {
    services.push({
      name: 'redis',
      command: 'redis-server',
      args: [
        '--bind',
        host,
        '--port',
        String(ports.redis),
        '--dir',
        config.paths.redis,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--protected-mode',
        'yes',
        '--daemonize',
        'no',
      ],
      ports: { redis: ports.redis },
      ready: expectGreeting(host, ports.redis, /^\+PONG/, 'PING\r\n'),
    });
  }

  const wildduck = wildduckProcess(config.paths.wildduckConfig, { ferretdb: config.local.mongodb });
  services.push({
    name: 'wildduck',
    ...wildduck,
    ports: { imap: ports.imap, pop3: ports.pop3, api: ports.api },
    ready: async () => {
      await expectGreeting(host, ports.imap, /^\* OK/)();
      await expectGreeting(host, ports.pop3, /^\+OK/)();
    },
  });

  // The scanner Haraka asks: up before the MX, so the first message is already scanned.
  if (runsLocalRspamd(config)) services.push(rspamdService(config));

  services.push({
    name: 'haraka',
    command: process.execPath,
    args: [harakaBin, '-c', config.paths.harakaDir],
    cwd: config.paths.harakaDir,
    env: {
      KURA_CONFIG_RESOLVED: config.paths.resolvedConfig,
      HARAKA: config.paths.harakaDir,
      KURA_METRICS_PORT: String(ports.smtpMetrics),
    },
    ports: { smtp: ports.smtp, smtpMetrics: ports.smtpMetrics },
    ready: expectGreeting(host, ports.smtp, /^220 /),
  });

  // Authenticated submission: after WildDuck (its API checks passwords) and the store are up.
  services.push(submissionService(config));

  services.push(selfServiceService(config));

  // Roundcube last: it reaches mail through the IMAP and submission ports of the services above.
  if (config.webmail.enabled) services.push(webmailService(config));

  return services;
}

export const logFile = (config: KuraConfig, service: string) => path.join(config.paths.logs, `${service}.log`);
