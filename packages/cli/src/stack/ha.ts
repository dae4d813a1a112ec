import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { wildduckProcess } from '@kura/access';
import {
  assertSafeToExpose,
  internalHost,
  isLoopback,
  isSecured,
  type KuraConfig,
  localSentinelProfile,
  pop3StlsEverywhere,
  REDIS_USER,
  renderHaproxyConfig,
  renderHarakaConfig,
  renderSentinelConfig,
  renderUnavailableLua,
  renderWildDuckConfig,
  secretsFile as secretsFileOf,
  securedConfig,
  sentinelUrl,
} from '@kura/config';
import { guardBin } from '@kura/guard';
import { harakaBin, pluginModule, sentinelLimitModule } from '@kura/inbound';
import { firstLine, tlsFirstLine } from './probe.js';
import { selfServiceService } from './selfservice.js';
import { localServices, type ServiceSpec, SetupError } from './services.js';
import { submissionArgs } from './submission.js';
import { ensureLocalCertificates } from './tls.js';

/** Where the high-availability stack keeps its generated files, next to the single-instance ones. */
export function haPaths(config: KuraConfig) {
  const { run, redis } = config.paths;
  return {
    haproxy: path.join(run, 'haproxy.cfg'),
    haproxyLua: path.join(run, 'haproxy-unavailable.lua'),
    wildduck: (i: number) => path.join(run, `wildduck-${i + 1}.toml`),
    haraka: (i: number) => path.join(run, `haraka-${i + 1}`),
    sentinel: (i: number) => path.join(run, `sentinel-${i + 1}.conf`),
    redisAcl: path.join(run, 'redis-acl.conf'),
    redisReplica: `${redis}-replica`,
    tls: path.join(config.dataDir, 'tls'),
  };
}

/**
 * The configuration every component of the HA stack reads: the secured
 * profile (secrets, TLS; on loopback without certificates a throw-away CA is
 * made), and with a local Redis everything reaches it through the three local
 * Sentinels, so a promoted replica is followed without a restart.
 */
export function haStackConfig(requested: KuraConfig): KuraConfig {
  assertDistinctPorts(requested);
  let config = requested;
  const { tls } = config.security;
  if ((!tls.cert || !tls.key) && [config.host, config.ha.haproxy.host ?? config.host].every(isLoopback)) {
    const local = ensureLocalCertificates(haPaths(config).tls, config.hostname);
    config = { ...config, security: { ...config.security, tls: local } };
  }
  let secured: KuraConfig;
  try {
    secured = securedConfig({ ...config, security: { ...config.security, enabled: true } });
    assertSafeToExpose(secured);
  } catch (err) {
    throw new SetupError((err as Error).message);
  }
  if (!secured.local.redis || !isSecured(secured)) return secured;
  const sentinels = secured.ha.sentinels.map((port) => `${secured.host}:${port}`);
  const { redisPassword, sentinelPassword } = secured.secrets;
  const credentials = { username: REDIS_USER, password: redisPassword, sentinelPassword };
  return { ...secured, redisUrl: sentinelUrl(sentinels, secured.redis.name, secured.redis.db, credentials) };
}

/** Writes the HA stack's generated files (HAProxy, Sentinels, one WildDuck and Haraka config per instance). */
export function prepareHaFiles(config: KuraConfig): void {
  const paths = haPaths(config);
  write(paths.haproxyLua, renderUnavailableLua());
  write(paths.haproxy, renderHaproxyConfig(config, { luaFile: paths.haproxyLua }));
  fs.mkdirSync(paths.redisReplica, { recursive: true, mode: 0o700 });
  if (isSecured(config)) write(paths.redisAcl, renderRedisAcl(config.secrets.redisPassword));
  config.ha.sentinels.forEach((port, i) => {
    write(paths.sentinel(i), renderSentinelConfig(config, localSentinelProfile(config, port, config.paths.run)));
  });
  config.ha.wildduck.forEach((ports, i) => {
    write(paths.wildduck(i), renderWildDuckConfig(config, ports));
  });
  config.ha.haraka.forEach((ports, i) => {
    const files = renderHarakaConfig(config, { pluginModule, sentinelLimitModule, smtpPort: ports.smtp });
    for (const [file, content] of Object.entries(files)) write(path.join(paths.haraka(i), file), content);
  });
}

/**
 * The services of `kura up --ha` in start order: data tier, Redis primary and
 * replica, three Sentinels, two WildDuck and two Haraka instances, HAProxy in
 * front of them on the public ports, and the guard.
 */
export function haServices(config: KuraConfig): ServiceSpec[] {
  const { host, ports, ha } = config;
  const paths = haPaths(config);
  // The single-instance list supplies the data tier and the Redis primary.
  const base = localServices(config).filter((s) => s.name === 'ferretdb' || s.name === 'redis' || s.name === 'rspamd');
  const secured = isSecured(config) ? config : undefined;
  const redisHello = secured ? `AUTH ${REDIS_USER} ${secured.secrets.redisPassword}\r\n` : '';
  const sentinelHello = secured ? `AUTH ${secured.secrets.sentinelPassword}\r\n` : '';
  const okOrPong = secured ? /^\+OK/ : /^\+PONG/;
  // Secured: the ACL file (default user off, user kura with a password) comes first on the command line.
  for (const s of base) {
    if (s.name === 'redis' && secured) {
      s.args = [paths.redisAcl, ...s.args];
      s.ready = expect(host, ports.redis, okOrPong, `${redisHello}PING\r\n`);
    }
  }
  const services: ServiceSpec[] = [...base];

  if (config.local.redis) {
    const primary = base.find((s) => s.name === 'redis');
    if (primary) {
      services.push({
        ...primary,
        name: 'redis-replica',
        args: replaceArgs(primary.args, { '--port': String(ha.redisReplica), '--dir': paths.redisReplica }).concat([
          '--replicaof',
          host,
          String(ports.redis),
        ]),
        ports: { redisReplica: ha.redisReplica },
        ready: expect(host, ha.redisReplica, okOrPong, `${redisHello}PING\r\n`),
      });
    }
    ha.sentinels.forEach((port, i) => {
      services.push({
        name: `sentinel-${i + 1}`,
        command: 'redis-sentinel',
        args: [paths.sentinel(i)],
        ports: { sentinel: port },
        ready: expect(host, port, okOrPong, `${sentinelHello}PING\r\n`),
      });
    });
  }

  ha.wildduck.forEach((p, i) => {
    const wildduck = wildduckProcess(paths.wildduck(i), {
      ferretdb: config.local.mongodb,
      health: {
        host,
        bind: internalHost(config),
        port: p.health,
        imap: p.imap,
        pop3: p.pop3,
        api: p.api,
        ...(secured
          ? { apiToken: secured.secrets.apiToken, tlsCa: secured.security.tls.ca ?? '', pop3Tls: true, proxyProtocol: true }
          : {}),
      },
      tlsWatch: secured ? [secured.security.tls.cert, secured.security.tls.key].filter((f): f is string => !!f) : undefined,
      loginLimit: secured ? loginLimit(secured) : undefined,
    });
    services.push({
      name: `wildduck-${i + 1}`,
      ...wildduck,
      ports: {
        imap: p.imap,
        pop3: p.pop3,
        api: p.api,
        health: p.health,
        ...(secured ? { imaps: p.imaps ?? ports.imaps, ...(p.pop3Stls ? { pop3Stls: p.pop3Stls } : {}) } : {}),
      },
      ready: () => healthy(internalHost(config), p.health),
    });
  });

  ha.haraka.forEach((p, i) => {
    const dir = paths.haraka(i);
    services.push({
      name: `haraka-${i + 1}`,
      command: process.execPath,
      args: [harakaBin, '-c', dir],
      cwd: dir,
      env: {
        KURA_CONFIG_RESOLVED: config.paths.resolvedConfig,
        HARAKA: dir,
        KURA_HEALTH_HOST: host,
        KURA_HEALTH_PORT: String(p.health),
        KURA_HEALTH_BIND: internalHost(config),
        KURA_HEALTH_SMTP: String(p.smtp),
        ...(p.metrics ? { KURA_METRICS_PORT: String(p.metrics) } : {}),
      },
      ports: { smtp: p.smtp, health: p.health, ...(p.metrics ? { metrics: p.metrics } : {}) },
      ready: () => healthy(internalHost(config), p.health),
    });
  });

  // Submission instances authenticate against every WildDuck API in turn; HAProxy sends the client's address.
  const apis = ha.wildduck.map((w) => `http://${w.host ?? internalHost(config)}:${w.api}`);
  ha.submission.forEach((p, i) => {
    services.push({
      name: `submission-${i + 1}`,
      command: process.execPath,
      args: [
        ...submissionArgs(config),
        ...['--port', String(p.submission), '--tls-port', String(p.submissions), '--health-port', String(p.health)],
        ...(p.metrics ? ['--metrics-port', String(p.metrics)] : []),
        ...apis.flatMap((api) => ['--api', api]),
        '--proxy-protocol',
      ],
      ports: { submission: p.submission, submissions: p.submissions, health: p.health, ...(p.metrics ? { metrics: p.metrics } : {}) },
      ready: () => healthy(internalHost(config), p.health),
    });
  });

  services.push({
    name: 'haproxy',
    command: 'haproxy',
    args: ['-db', '-f', paths.haproxy],
    ports: {
      ...(secured
        ? {
            smtp: ports.smtp,
            imap: ports.imap,
            imaps: ports.imaps,
            pop3s: ports.pop3s,
            ...(pop3StlsEverywhere(config) ? { pop3: ports.pop3 } : {}),
            stats: ha.haproxy.stats,
          }
        : { smtp: ports.smtp, imap: ports.imap, pop3: ports.pop3, stats: ha.haproxy.stats }),
      submission: ports.submission,
      submissions: ports.submissions,
    },
    ready: async () => {
      await expect(host, ports.smtp, /^220 /)();
      await expect(host, ports.submission, /^220 /)();
      await expect(host, ports.imap, /^\* OK/)();
      if (!secured || pop3StlsEverywhere(config)) await expect(host, ports.pop3, /^\+OK/)();
      if (!secured) return;
      const ca = secured.security.tls.ca;
      for (const [port, greeting] of [
        [ports.imaps, /^\* OK/],
        [ports.pop3s, /^\+OK/],
        [ports.submissions, /^220 /],
      ] as const) {
        const line = await tlsFirstLine(host, port, ca);
        if (!greeting.test(line)) throw new Error(`unexpected TLS greeting on ${host}:${port}: ${line}`);
      }
    },
  });

  services.push(selfServiceService(config, { ha: true }));

  services.push({
    name: 'guard',
    command: process.execPath,
    args: [guardBin, '--resolved-config', config.paths.resolvedConfig],
    ports: { guard: config.guard.port },
    ready: () => httpStatus(internalHost(config), config.guard.port, '/health').then(() => undefined),
  });

  return services;
}

function replaceArgs(args: string[], replacements: Record<string, string>): string[] {
  return args.map((arg, i) => {
    const flag = args[i - 1];
    return flag !== undefined && flag in replacements ? (replacements[flag] as string) : arg;
  });
}

function expect(host: string, port: number, expected: RegExp, send?: string) {
  return async () => {
    const line = await firstLine(host, port, send);
    if (!expected.test(line)) throw new Error(`unexpected greeting on ${host}:${port}: ${line}`);
  };
}

async function healthy(host: string, port: number): Promise<void> {
  const status = await httpStatus(host, port, '/health');
  if (status !== 200) throw new Error(`health endpoint ${host}:${port} answers ${status}`);
}

/** The HTTP status of one GET (any status resolves; only a connection failure rejects). */
export function httpStatus(host: string, port: number, urlPath: string, timeoutMs = 3_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port}${urlPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** What `kura up --ha` prints after the usual endpoint table. */
export function formatHaEndpoints(config: KuraConfig): string {
  const { host, ha, guard } = config;
  const internal = internalHost(config);
  return [
    'High-availability mode: SMTP, IMAP and POP3 above are HAProxy; behind it:',
    ...ha.wildduck.map(
      (w, i) =>
        `  wildduck-${i + 1}  IMAP ${w.imap}  POP3 ${w.pop3}${w.pop3Stls ? ` (STLS ${w.pop3Stls})` : ''}  API ${w.api}  health http://${internal}:${w.health}/health`,
    ),
    ...ha.haraka.map(
      (h, i) =>
        `  haraka-${i + 1}    SMTP ${h.smtp}  health http://${internal}:${h.health}/health${h.metrics ? `  metrics http://${internal}:${h.metrics}/metrics` : ''}`,
    ),
    ...ha.submission.map(
      (s, i) =>
        `  submission-${i + 1} STARTTLS ${s.submission}  TLS ${s.submissions}  health http://${internal}:${s.health}/health${s.metrics ? `  metrics http://${internal}:${s.metrics}/metrics` : ''}`,
    ),
    `  Redis primary ${config.ports.redis}, replica ${ha.redisReplica}, Sentinels ${ha.sentinels.join(', ')} (name "${config.redis.name}")`,
    `  HAProxy stats http://${config.security.internalHost ?? ha.haproxy.host ?? host}:${ha.haproxy.stats}/ (user kura)  runtime API ${config.paths.haproxySocket}`,
    ...(isSecured(config)
      ? [
          `  TLS: IMAP ${config.ports.imap} STARTTLS, IMAPS ${config.ports.imaps}, POP3S ${config.ports.pop3s}${pop3StlsEverywhere(config) ? `, POP3 ${config.ports.pop3} STLS` : ''}, SMTP STARTTLS, submission ${config.ports.submission} STARTTLS and ${config.ports.submissions} TLS; CA ${config.security.tls.ca ?? '(system)'}`,
          `  Secrets (API token, Redis, Sentinel, HAProxy stats, demo and canary passwords): ${secretsFileOf(config)}`,
        ]
      : []),
    `Status page (guard): http://${internal}:${guard.port}/   metrics: http://${internal}:${guard.port}/metrics`,
  ].join('\n');
}

/** Two services of the HA stack on one port would only fail later, naming just one of them. */
function assertDistinctPorts(config: KuraConfig): void {
  const { ports, ha, guard } = config;
  const named: Array<[string, number]> = [
    ...Object.entries(ports).map(([k, v]): [string, number] => [`ports.${k}`, v]),
    ...ha.wildduck.flatMap((w, i) =>
      (['imap', 'imaps', 'pop3', 'pop3Stls', 'api', 'health'] as const).flatMap((k): Array<[string, number]> => {
        const value = w[k];
        return value ? [[`ha.wildduck[${i}].${k}`, value]] : [];
      }),
    ),
    ...ha.haraka.flatMap((h, i) =>
      (['smtp', 'health', 'metrics'] as const).flatMap((k): Array<[string, number]> => {
        const value = h[k];
        return value ? [[`ha.haraka[${i}].${k}`, value]] : [];
      }),
    ),
    ...ha.submission.flatMap((s, i) =>
      (['submission', 'submissions', 'health', 'metrics'] as const).flatMap((k): Array<[string, number]> => {
        const value = s[k];
        return value ? [[`ha.submission[${i}].${k}`, value]] : [];
      }),
    ),
    ['ha.redisReplica', ha.redisReplica],
    ...ha.sentinels.map((p, i): [string, number] => [`ha.sentinels[${i}]`, p]),
    ['ha.haproxy.stats', ha.haproxy.stats],
    ['guard.port', guard.port],
  ];
  // Instances on other hosts may share port numbers; only local ones (no host) must differ.
  const local = named.filter(([name]) => {
    const m = /^ha\.(wildduck|haraka|submission)\[(\d+)\]/.exec(name);
    return !m || !{ wildduck: ha.wildduck, haraka: ha.haraka, submission: ha.submission }[m[1] as 'wildduck'][Number(m[2])]?.host;
  });
  const seen = new Map<number, string>();
  for (const [name, port] of local) {
    const other = seen.get(port);
    if (other) throw new SetupError(`${other} and ${name} are both port ${port} in kura.config.json; give each its own port`);
    seen.set(port, name);
  }
}

/** Redis ACL (secured profile): the default user is off; `kura` may do everything, with a password. */
function renderRedisAcl(password: string): string {
  return [
    'user default off',
    `user ${REDIS_USER} on >${password} ~* &* +@all`,
    // A replica (and a primary demoted by Sentinel) logs in to its primary as the same user.
    `masteruser ${REDIS_USER}`,
    `masterauth ${password}`,
    '',
  ].join('\n');
}

/** The instances' failed-login limit; on loopback the local guard (127.0.0.1) is exempt, as a deployment lists its guard. */
function loginLimit(config: KuraConfig): KuraConfig['security']['loginFailures'] {
  const { loginFailures } = config.security;
  return isLoopback(config.host) ? { ...loginFailures, exempt: [...loginFailures.exempt, '127.0.0.1'] } : loginFailures;
}
