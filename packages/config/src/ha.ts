import { type HaproxyProfile, type HttpsFronts, localHaproxyProfile } from './haproxy-profile.js';
import type { KuraConfig } from './resolve.js';
import { internalHost } from './security.js';

/** An instance: its name in HAProxy, its host and its health port. */
interface Instance {
  name: string;
  host: string;
  health: number;
}

/**
 * HAProxy in front of the frontend instances, for the local high-availability stack (`kura up --ha`,
 * the default profile) and for deploy/ (`kura deploy render`, packages/config/src/deploy.ts). Each
 * instance is checked through its deep health endpoint (greeting + data tier + Redis); a sick
 * instance leaves the pool after two failed checks. When no instance passes (the whole data tier is
 * down), a greeting-only fallback pool keeps clients talking to a frontend that answers 4xx / NO
 * itself instead of having their connections refused.
 */
export function renderHaproxyConfig(config: KuraConfig, options: { luaFile: string; profile?: HaproxyProfile }): string {
  const profile = options.profile ?? localHaproxyProfile(config);
  const { host, ports, ha } = config;
  const { secured, perSource, timing } = profile;
  const instanceHost = (h?: string) => h ?? host;
  const wildduck = ha.wildduck.map((w, i) => ({ name: `wildduck-${i + 1}`, ...w, host: instanceHost(w.host) }));
  const haraka = ha.haraka.map((h, i) => ({ name: `haraka-${i + 1}`, ...h, host: instanceHost(h.host) }));
  const submission = ha.submission.map((s, i) => ({ name: `submission-${i + 1}`, ...s, host: instanceHost(s.host) }));
  // Health endpoints of local instances listen on the internal address (security.internalHost), not `host`.
  const checkAddr = (serverHost: string) => (serverHost === host && internalHost(config) !== host ? ` addr ${internalHost(config)}` : '');

  // Sessions on an instance marked down are left to finish: a transaction in
  // flight still gets its 250 or 451, an IMAP command its NO. A dead instance
  // cuts them anyway; new connections go elsewhere at once.
  const deepPool = <T extends Instance>(name: string, balance: string, instances: T[], port: (i: T) => number, proxy: string) => [
    `backend ${name}`,
    `  balance ${balance}`,
    '  option httpchk GET /health',
    '  http-check expect status 200',
    ...instances.map((i) => `  server ${i.name} ${i.host}:${port(i)} check${checkAddr(i.host)} port ${i.health}${proxy}`),
    '',
  ];
  // Haraka reads the client's address from the PROXY protocol (v2) where it accepts it from HAProxy
  // (ha.haproxy.proxyProtocolFrom); then the greeting check must send the header too.
  const toHaraka = ha.haproxy.proxyProtocolFrom !== undefined ? ' send-proxy-v2' : '';
  const greetingPool = (name: string, servers: Array<{ name: string; host: string; port: number }>) => [
    `backend ${name}`,
    '  balance roundrobin',
    '  option tcp-check',
    '  tcp-check expect rstring ^220',
    '  tcp-check send QUIT\\r\\n',
    ...servers.map((s) => `  server ${s.name} ${s.host}:${s.port} check${toHaraka}${toHaraka ? ' check-send-proxy' : ''}`),
    '',
  ];
  // Secured profile: TLS passes through to the instances (they hold the certificates and see
  // STARTTLS, which HAProxy cannot speak for IMAP); HAProxy caps connections per frontend and per source.
  const shared = perSource?.table === 'shared';
  const limitLines = (name: string) => {
    if (!perSource) return [];
    const limit = perSource.limits(name);
    return [
      `  maxconn ${limit.maxconn}`,
      ...(shared ? [] : [`  stick-table type ip size ${perSource.size} expire 2m store conn_cur,conn_rate(10s)`]),
      `  tcp-request connection track-sc0 src${shared ? ' table per_source' : ''}`,
      `  tcp-request connection reject if { sc_conn_cur(0) gt ${limit.perSourceConns} } || { sc_conn_rate(0) gt ${limit.perSourceRate} }`,
    ];
  };
  // No healthy instance at all: SMTP goes to any Haraka that still greets (it answers 451 itself);
  // IMAP and POP3 get an immediate "unavailable" from HAProxy rather than a misleading "wrong
  // password" from a WildDuck that cannot reach its users.
  const frontend = (comment: string, name: string, port: number, fallback: 'pool' | 'unavailable' | 'none', backend = name) => [
    `# ${comment}`,
    `frontend ${name}`,
    `  bind ${host}:${port}`,
    ...limitLines(name),
    ...(fallback === 'pool' ? [`  use_backend ${backend}-fallback if { nbsrv(${backend}) eq 0 }`] : []),
    ...(fallback === 'unavailable' ? [`  tcp-request content use-service lua.${name}_unavailable if { nbsrv(${backend}) eq 0 }`] : []),
    `  default_backend ${backend}`,
    '',
  ];
  // Secured: WildDuck reads the client's address from the PROXY protocol (v1, all WildDuck parses).
  const toWildDuck = secured ? ' send-proxy' : '';
  const stls = secured && pop3StlsEverywhere(config);
  // The submission instances always expect it: failed logins are counted per client address.
  const toSubmission = ' send-proxy';
  const wildduckPool = (name: string, port: (w: (typeof wildduck)[number]) => number) =>
    deepPool(name, 'leastconn', wildduck, port, toWildDuck);
  const submissionPool = (name: string, port: (s: (typeof submission)[number]) => number) =>
    deepPool(name, 'leastconn', submission, port, toSubmission);

  return [
    ...profile.header.map((line) => (line ? `# ${line}` : '#')),
    'global',
    '  log stdout format raw local0 notice',
    `  lua-load ${options.luaFile}`,
    // The runtime API can redirect every login: a Unix socket, never TCP.
    `  stats socket ${config.paths.haproxySocket} mode ${profile.socketMode} level admin`,
    `  maxconn ${profile.maxconn}`,
    ...(profile.sslBindOptions ? [`  ssl-default-bind-options ${profile.sslBindOptions}`] : []),
    '',
    ...(profile.resolver
      ? [
          `resolvers ${profile.resolver.name}`,
          `  nameserver dns ${profile.resolver.nameserver}`,
          '  hold valid 5s',
          '  accepted_payload_size 8192',
          '',
        ]
      : []),
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    '  option redispatch',
    '  retries 3',
    `  timeout connect ${timing.connect}`,
    `  timeout check ${timing.check}`,
    '  # IMAP IDLE keeps a connection quiet for up to 29 minutes.',
    '  timeout client 31m',
    '  timeout server 31m',
    `  default-server inter ${timing.inter} fastinter ${timing.fastinter} downinter ${timing.downinter} fall 2 rise 2${
      profile.resolver ? ` resolvers ${profile.resolver.name} init-addr last,libc,none` : ''
    }`,
    '',
    ...(profile.statsPassword !== undefined
      ? [
          '# The stats page and Prometheus endpoint ask for this user.',
          'userlist kura_stats',
          `  user kura insecure-password ${profile.statsPassword}`,
          '',
        ]
      : []),
    ...(perSource && shared
      ? [
          '# Per-source limits on every public port: concurrent connections and connection rate per client address.',
          'backend per_source',
          `  stick-table type ip size ${perSource.size} expire 2m store conn_cur,conn_rate(10s)`,
          '',
        ]
      : []),
    ...frontend('SMTP (MX; STARTTLS by Haraka).', 'smtp', ports.smtp, 'pool'),
    ...frontend('IMAP (secured: STARTTLS, WildDuck refuses LOGIN and AUTHENTICATE before it).', 'imap', ports.imap, 'unavailable'),
    ...(secured
      ? [
          ...frontend('IMAP over implicit TLS.', 'imaps', ports.imaps, 'none'),
          ...frontend('POP3 over implicit TLS (RFC 8314 prefers it).', 'pop3s', ports.pop3s, 'none', 'pop3'),
        ]
      : []),
    ...(secured ? [] : frontend('POP3.', 'pop3', ports.pop3, 'unavailable')),
    // Secured: POP3 on ports.pop3 (110) only where every instance has an STLS listener.
    ...(stls ? frontend('POP3 with STLS (USER/PASS/AUTH refused before it).', 'pop3', ports.pop3, 'unavailable', 'pop3-stls') : []),
    // Submission: TLS (STARTTLS on one port, implicit on the other) ends at the instances, like IMAP's.
    ...frontend(
      'Authenticated submission, STARTTLS then AUTH; failed logins count per client address.',
      'submission',
      ports.submission,
      'none',
    ),
    ...frontend('Authenticated submission over implicit TLS.', 'submissions', ports.submissions, 'none'),
    ...deepPool('smtp', 'roundrobin', haraka, (h) => h.smtp, toHaraka),
    ...wildduckPool('imap', (w) => w.imap),
    ...(secured ? wildduckPool('imaps', (w) => w.imaps ?? ports.imaps) : []),
    ...wildduckPool('pop3', (w) => w.pop3),
    ...(stls ? wildduckPool('pop3-stls', (w) => w.pop3Stls as number) : []),
    ...submissionPool('submission', (s) => s.submission),
    ...submissionPool('submissions', (s) => s.submissions),
    '# No instance passes the deep check (data tier down): any Haraka that still greets answers 451 itself.',
    ...greetingPool(
      'smtp-fallback',
      haraka.map((h) => ({ name: h.name, host: h.host, port: h.smtp })),
    ),
    '# Internal network only: Prometheus and operators.',
    'frontend stats',
    '  mode http',
    `  bind ${profile.statsBind}`,
    ...(profile.statsPassword !== undefined ? ['  http-request auth realm kura unless { http_auth(kura_stats) }'] : []),
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  stats enable',
    '  stats uri /',
    `  stats refresh ${profile.statsRefresh}`,
    '',
    ...(profile.https ? httpsFronts(profile.https, host) : []),
  ].join('\n');
}

/**
 * The self-service page and the webmail: HTTPS ends here and plain HTTP goes to the instances on the
 * internal network. They trust X-Forwarded-For and -Proto from HAProxy's address only
 * (selfService.trustProxy; proxy_whitelist in deploy/webmail/config), for the per-IP login throttle
 * and Secure cookies. Self-service sessions live in Redis, so either instance serves any user.
 */
function httpsFronts(https: HttpsFronts, host: string): string[] {
  const hsts = '  http-response set-header Strict-Transport-Security "max-age=31536000"';
  return [
    'frontend selfservice',
    '  mode http',
    '  option httplog',
    `  bind ${host}:${https.selfService.port} ssl crt ${https.cert}`,
    '  timeout client 30s',
    '  option forwardfor',
    '  http-request set-header X-Forwarded-Proto https',
    hsts,
    '  default_backend selfservice',
    '',
    'backend selfservice',
    '  mode http',
    '  timeout server 30s',
    '  option httpchk GET /health',
    '  http-check expect status 200',
    ...https.selfService.servers.map((s) => `  server ${s.name} ${s.address} check`),
    '',
    'frontend https',
    '  mode http',
    `  bind ${host}:${https.webmail.port} ssl crt ${https.cert} alpn h2,http/1.1`,
    '  maxconn 5000',
    '  option httplog',
    '  option forwardfor',
    '  timeout client 1m',
    '  http-request set-header X-Forwarded-Proto https',
    hsts,
    '  default_backend webmail',
    '',
    'backend webmail',
    '  mode http',
    '  timeout server 2m',
    '  option httpchk GET /',
    '  http-check expect status 200',
    ...https.webmail.servers.map((s) => `  server ${s.name} ${s.address} check`),
    '',
  ];
}

/** POP3 with STLS is offered (secured profile, HAProxy's `ports.pop3`) when every WildDuck instance has that listener. */
export const pop3StlsEverywhere = (config: KuraConfig): boolean => config.ha.wildduck.every((w) => w.pop3Stls !== undefined);

/** HAProxy Lua services that answer "temporarily unavailable" in IMAP and POP3 when no instance is healthy. */
export function renderUnavailableLua(generatedBy = 'Generated by `kura up --ha`.'): string {
  return [
    `-- ${generatedBy}`,
    '-- Answers IMAP and POP3 clients while no Kura frontend instance is healthy (the data tier or Redis',
    '-- is down): an honest "try again shortly" instead of a refused connection or a misleading "wrong password".',
    'core.register_service("imap_unavailable", "tcp", function(applet)',
    '  applet:send("* BYE [UNAVAILABLE] Mail storage is temporarily unavailable, please try again in a few minutes\\r\\n")',
    'end)',
    'core.register_service("pop3_unavailable", "tcp", function(applet)',
    '  applet:send("-ERR [SYS/TEMP] Mail storage is temporarily unavailable, please try again in a few minutes\\r\\n")',
    'end)',
    '',
  ].join('\n');
}
