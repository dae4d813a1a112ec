import type { KuraConfig } from '@kura/config';
import { type ConverseOptions, httpProbe as probe, converse as talk, tlsGreeting } from './listeners.js';

export type Role =
  | 'imap-starttls'
  | 'pop3-stls'
  | 'tls-only'
  | 'smtp'
  | 'submission'
  | 'submissions'
  | 'api'
  | 'read-only-http'
  | 'redis'
  | 'sentinel'
  | 'stats'
  | 'datatier'
  | 'scanner'
  | 'self-service';

/** One listener the stack is meant to have: what it is, and whether it expects HAProxy's PROXY header. */
export interface ExpectedListener {
  name: string;
  role: Role;
  proxied?: boolean;
}

/** Roles that must listen on the internal address (security.internalHost), never the public one. */
export const INTERNAL_ROLES: ReadonlySet<Role> = new Set<Role>(['api', 'read-only-http', 'stats']);

/** Every listener of the secured HA stack by port, from its config. */
export function expectedListeners(config: KuraConfig): Map<number, ExpectedListener> {
  const { ports, ha: topo, guard } = config;
  const map = new Map<number, ExpectedListener>();
  const add = (port: number | undefined, name: string, role: Role, proxied = false): void => {
    if (port) map.set(port, { name, role, proxied });
  };
  add(ports.smtp, 'HAProxy SMTP', 'smtp');
  add(ports.imap, 'HAProxy IMAP', 'imap-starttls');
  add(ports.imaps, 'HAProxy IMAPS', 'tls-only');
  add(ports.pop3s, 'HAProxy POP3S', 'tls-only');
  if (topo.wildduck.every((w) => w.pop3Stls)) add(ports.pop3, 'HAProxy POP3 (STLS)', 'pop3-stls');
  add(ports.submission, 'HAProxy submission', 'submission');
  add(ports.submissions, 'HAProxy submissions', 'submissions');
  add(topo.haproxy.stats, 'HAProxy stats', 'stats');
  topo.wildduck.forEach((w, i) => {
    add(w.imap, `wildduck-${i + 1} IMAP`, 'imap-starttls', true);
    add(w.imaps, `wildduck-${i + 1} IMAPS`, 'tls-only', true);
    add(w.pop3, `wildduck-${i + 1} POP3S`, 'tls-only', true);
    add(w.pop3Stls, `wildduck-${i + 1} POP3 (STLS)`, 'pop3-stls', true);
    add(w.api, `wildduck-${i + 1} API`, 'api');
    add(w.health, `wildduck-${i + 1} health`, 'read-only-http');
  });
  topo.haraka.forEach((h, i) => {
    add(h.smtp, `haraka-${i + 1} SMTP`, 'smtp');
    add(h.health, `haraka-${i + 1} health`, 'read-only-http');
    add(h.metrics, `haraka-${i + 1} metrics`, 'read-only-http');
  });
  topo.submission.forEach((s, i) => {
    add(s.submission, `submission-${i + 1} STARTTLS`, 'submission', true);
    add(s.submissions, `submission-${i + 1} TLS`, 'submissions', true);
    add(s.health, `submission-${i + 1} health`, 'read-only-http');
    add(s.metrics, `submission-${i + 1} metrics`, 'read-only-http');
  });
  add(ports.redis, 'Redis primary', 'redis');
  add(topo.redisReplica, 'Redis replica', 'redis');
  topo.sentinels.forEach((p, i) => {
    add(p, `sentinel-${i + 1}`, 'sentinel');
  });
  add(guard.port, 'guard status page', 'read-only-http');
  add(ports.selfService, 'self-service page', 'self-service');
  add(ports.mongodb, 'data tier (FerretDB)', 'datatier');
  if (config.trust.rspamd.enabled && !config.trust.rspamd.url) add(ports.rspamd, 'rspamd scanner', 'scanner');
  return map;
}

const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

/**
 * What one listener does with a plaintext login (with the right password) or
 * an unauthenticated administrative request: a description of what it
 * accepted, or undefined when it refused as it should.
 */
export async function acceptedBy(
  port: number,
  listener: ExpectedListener,
  ctx: { ca: Buffer; user: string; pass: string; host?: string },
): Promise<string | undefined> {
  const { user, pass } = ctx;
  const host = ctx.host ?? '127.0.0.1';
  const httpProbe = (p: number, path: string, init: RequestInit = {}) => probe(p, path, init, host);
  const converse = (p: number, lines: string[], options: ConverseOptions = {}) => talk(p, lines, { ...options, host });
  const proxy = listener.proxied === true;
  if (proxy) {
    // Without HAProxy's PROXY header an instance answers nothing but an error.
    const bare = await converse(port, [`a1 LOGIN ${user} "${pass}"`, `USER ${user}`, `PASS ${pass}`]);
    if (/^(a1 OK|\+OK|\* OK)/m.test(bare)) return `answered without a PROXY header: ${bare}`;
  }
  switch (listener.role) {
    case 'imap-starttls': {
      const text = await converse(port, ['a1 CAPABILITY', `a2 LOGIN ${user} "${pass}"`, `a3 AUTHENTICATE PLAIN ${plain(user, pass)}`], {
        greeting: true,
        proxy,
      });
      if (/^a[23] OK/m.test(text)) return `plaintext login accepted: ${text}`;
      if (!/STARTTLS/.test(text) || !/^a2 (NO|BAD)/m.test(text)) return `unexpected answer: ${text}`;
      return undefined;
    }
    case 'pop3-stls': {
      // RFC 2595 §4 / RFC 8314: USER, PASS and AUTH are refused until STLS; STLS is offered.
      const text = await converse(port, ['CAPA', `USER ${user}`, `PASS ${pass}`], { greeting: true, proxy });
      const auth = await converse(port, [`AUTH PLAIN ${plain(user, pass)}`], { greeting: true, proxy });
      if (!/^STLS$/m.test(text)) return `no STLS offered: ${text}`;
      // Only the greeting and the CAPA list may be +OK; USER and AUTH must be answered -ERR.
      const okCount = (t: string) => t.split('\r\n').filter((l) => l.startsWith('+OK')).length;
      if (okCount(text) > 2 || !/^-ERR/m.test(text)) return `plaintext USER/PASS not refused: ${text}`;
      if (okCount(auth) > 1 || !/^-ERR/m.test(auth)) return `plaintext AUTH not refused: ${auth}`;
      return undefined;
    }
    case 'tls-only': {
      const text = await converse(port, [`a1 LOGIN ${user} "${pass}"`, `USER ${user}`, `PASS ${pass}`], { proxy });
      if (/^(a1 OK|\+OK)/m.test(text)) return `plaintext answered: ${text}`;
      const { line } = await tlsGreeting(port, ctx.ca, proxy);
      return /^(\* OK|\+OK)/.test(line) ? undefined : `no greeting over TLS: ${line}`;
    }
    case 'smtp': {
      const text = await converse(port, ['EHLO scan.invalid', `AUTH PLAIN ${plain(user, pass)}`, 'QUIT'], { greeting: true });
      if (/^235/m.test(text) || /^250[- ]AUTH/m.test(text)) return `SMTP AUTH offered or accepted: ${text}`;
      return /^250[- ]STARTTLS/m.test(text) ? undefined : `no STARTTLS offered: ${text}`;
    }
    case 'submission': {
      // Plaintext AUTH is neither offered nor accepted before STARTTLS; MAIL without AUTH is refused.
      const text = await converse(port, ['EHLO scan.invalid', `AUTH PLAIN ${plain(user, pass)}`, 'MAIL FROM:<scan@scan.invalid>', 'QUIT'], {
        greeting: true,
        proxy,
      });
      if (/^235/m.test(text) || /^250[- ]AUTH/m.test(text)) return `plaintext AUTH offered or accepted: ${text}`;
      if (!/^250[- ]STARTTLS/m.test(text)) return `no STARTTLS offered: ${text}`;
      return /^538 5\.7\.0/m.test(text) && /^530 5\.7\.0/m.test(text) ? undefined : `AUTH or MAIL not refused before TLS: ${text}`;
    }
    case 'submissions': {
      const text = await converse(port, ['EHLO scan.invalid', `AUTH PLAIN ${plain(user, pass)}`], { proxy });
      if (/^(220|235|250)/m.test(text)) return `plaintext answered: ${text}`;
      const { line } = await tlsGreeting(port, ctx.ca, proxy);
      return /^220 /.test(line) ? undefined : `no SMTP greeting over TLS: ${line}`;
    }
    case 'api': {
      for (const path of ['/users', '/health', '/users/resolve/kura-canary']) {
        const res = await httpProbe(port, path);
        if (res.status !== 403 && res.status !== 401) return `GET ${path} without token answered ${res.status}`;
      }
      const wrong = await httpProbe(port, '/users', { headers: { 'x-access-token': 'f'.repeat(40) } });
      if (wrong.status !== 403) return `GET /users with a wrong token answered ${wrong.status}`;
      return undefined;
    }
    case 'read-only-http': {
      for (const method of ['GET', 'POST', 'DELETE']) {
        // A closed connection is a refusal too (the health endpoints answer GET only).
        const status = await httpProbe(port, '/users', { method }).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 0 && status !== 404 && status !== 405) return `${method} /users answered ${status}`;
      }
      return undefined;
    }
    case 'redis':
    case 'sentinel': {
      const text = await converse(port, ['PING', 'INFO', `AUTH default ${pass}`]);
      return /^-NOAUTH/m.test(text) && !/^\+PONG/m.test(text) && !/^\$\d+/m.test(text)
        ? undefined
        : `answered without credentials: ${text}`;
    }
    case 'stats': {
      for (const path of ['/', '/metrics']) {
        const res = await httpProbe(port, path);
        if (res.status !== 401) return `GET ${path} without a password answered ${res.status}`;
      }
      return undefined;
    }
    case 'scanner': {
      // rspamd's scanning worker only: no controller (statistics, learning, settings) may answer.
      for (const path of ['/stat', '/learnspam', '/saveactions']) {
        const status = await httpProbe(port, path, { method: path === '/stat' ? 'GET' : 'POST' }).then(
          (r) => r.status,
          () => 0,
        );
        if (status >= 200 && status < 300) return `${path} answered ${status} without a password`;
      }
      return undefined;
    }
    case 'self-service': {
      // A login page (plain HTTP on loopback; TLS at the front in production): no administrative route,
      // and a login without the form's token is refused before the password is looked at.
      const admin = await httpProbe(port, '/users');
      if (admin.status !== 404) return `GET /users answered ${admin.status}`;
      const forged = await httpProbe(port, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: user, password: pass, csrf: 'x' }).toString(),
      });
      return forged.status === 403 && !forged.headers.get('set-cookie')?.includes('kura_ss=')
        ? undefined
        : `a login without its token answered ${forged.status}`;
    }
    case 'datatier':
      // FerretDB (SQLite) has no SCRAM users or keyFile: production MongoDB does (docs/security.md, untested here).
      return undefined;
  }
}
