import crypto from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { cookie, readCookies } from './cookies.js';
import { checkTargets, checkVacation } from './forms.js';
import { isLanguage, pickText, type Text } from './i18n/index.js';
import { loginPage, messagePage, type Notice, settingsPage } from './pages.js';
import { type Session, type Sessions, sameToken } from './sessions.js';
import type { LoginThrottle } from './throttle.js';
import { ApiUnavailable, type WildDuckApi } from './wildduck-api.js';

export interface SelfServiceDeps {
  api: WildDuckApi;
  sessions: Sessions;
  throttle: LoginThrottle;
  /** Checks the page's own dependencies for /health (Redis, the WildDuck API). */
  health: () => Promise<void>;
  log: Logger;
  /** Always set cookies Secure; otherwise only when the TLS front says the request came over https. */
  secure: boolean;
  /** The zone vacation days are whole days in (unset: the server's). */
  timeZone?: string;
  /** Proxy addresses trusted to name the client in X-Forwarded-For (unset: the peer is the client). */
  trustProxy?: string[];
}

const SESSION = 'kura_ss';
const LOGIN_TOKEN = 'kura_ss_login';
const LANG = 'kura_lang';

type Form = Record<string, string>;

/** The self-service page's routes: login, the settings page, the two forms, logout, health. */
export function buildSelfService(deps: SelfServiceDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy ?? false,
    bodyLimit: 512 * 1024,
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const secure = (req: FastifyRequest) => deps.secure || req.headers['x-forwarded-proto'] === 'https';
  const cookies = (req: FastifyRequest) => readCookies(req.headers.cookie);
  const text = (req: FastifyRequest): Text => {
    const query = (req.query as { lang?: string }).lang;
    return pickText(isLanguage(query) ? query : cookies(req)[LANG], req.headers['accept-language']);
  };
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('vary', 'Accept-Language, Cookie')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  const current = async (req: FastifyRequest): Promise<{ id: string; session: Session } | undefined> => {
    const id = cookies(req)[SESSION];
    const session = await deps.sessions.find(id);
    return session && id ? { id, session } : undefined;
  };

  /** The login form with a token bound to a cookie (double submit): no session exists yet to hold it. */
  const showLogin = (req: FastifyRequest, reply: FastifyReply, status: number, t: Text, n?: Notice, username?: string) => {
    const token = cookies(req)[LOGIN_TOKEN] ?? crypto.randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(LOGIN_TOKEN, token, { secure: secure(req) }));
    return html(reply, status, loginPage(t, token, n, username));
  };
  const showSettings = async (reply: FastifyReply, status: number, t: Text, s: Session, n?: Notice) => {
    const settings = await deps.api.settings(s.userId);
    return html(reply, status, settingsPage(t, s.address || s.username, s.csrf, settings, n, deps.timeZone));
  };

  app.addHook('onRequest', async (req, reply) => {
    const query = (req.query as { lang?: string }).lang;
    // The language switch is remembered for a year, for this browser only.
    if (isLanguage(query)) reply.header('set-cookie', cookie(LANG, query, { secure: secure(req), maxAgeSeconds: 365 * 86_400 }));
  });

  app.get('/', async (req, reply) => {
    const t = text(req);
    const open = await current(req);
    if (!open) return showLogin(req, reply, 200, t);
    const saved = (req.query as { saved?: string }).saved;
    const n: Notice | undefined =
      saved === 'vacation'
        ? { kind: 'ok', lines: [t.vacation.saved] }
        : saved === 'forwarding'
          ? { kind: 'ok', lines: [t.forwarding.saved] }
          : undefined;
    return showSettings(reply, 200, t, open.session, n);
  });

  app.post('/login', async (req, reply) => {
    const t = text(req);
    const form = (req.body ?? {}) as Form;
    if (!sameToken(form.csrf, cookies(req)[LOGIN_TOKEN])) return showLogin(req, reply, 403, t, { kind: 'error', lines: [t.errors.csrf] });
    const username = (form.username ?? '').trim();
    if (await deps.throttle.blocked(req.ip)) {
      deps.log.warn({ ip: req.ip }, 'self-service login refused: too many failures from this address');
      return showLogin(req, reply, 429, t, { kind: 'error', lines: [t.login.throttled] }, username);
    }
    const result = await deps.api.authenticate(username, form.password ?? '', req.ip);
    if (!result.ok) {
      const failures = await deps.throttle.failed(req.ip);
      deps.log.info({ ip: req.ip, username, failures, reason: result.reason }, 'self-service login failed');
      const line = result.reason === 'second-factor' ? t.login.needsSecondFactor : t.login.failed;
      return showLogin(req, reply, 403, t, { kind: 'error', lines: [line] }, username);
    }
    const { id } = await deps.sessions.open({ userId: result.user.id, username: result.user.username, address: result.user.address });
    deps.log.info({ ip: req.ip, user: result.user.id }, 'self-service login');
    return reply.header('set-cookie', cookie(SESSION, id, { secure: secure(req) })).redirect('./', 303);
  });

  /** A settings form: a live session and its token, or nothing happens. */
  const guarded =
    (handle: (req: FastifyRequest, reply: FastifyReply, t: Text, open: { id: string; session: Session }, form: Form) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const t = text(req);
      const open = await current(req);
      if (!open) return showLogin(req, reply, 401, t, { kind: 'error', lines: [t.errors.sessionExpired] });
      const form = (req.body ?? {}) as Form;
      if (!sameToken(form.csrf, open.session.csrf)) {
        deps.log.warn({ ip: req.ip, user: open.session.userId, path: req.url }, 'self-service form refused: missing or wrong CSRF token');
        return html(reply, 403, messagePage(t, { kind: 'error', lines: [t.errors.csrf] }));
      }
      return handle(req, reply, t, open, form);
    };

  app.post(
    '/vacation',
    guarded(async (_req, reply, t, { session }, form) => {
      const checked = checkVacation(form, t, deps.timeZone);
      if (!checked.ok) return showSettings(reply, 400, t, session, { kind: 'error', lines: checked.errors });
      await deps.api.saveVacation(session.userId, checked.value);
      deps.log.info({ user: session.userId, enabled: checked.value.status }, 'vacation reply saved');
      return reply.redirect('./?saved=vacation', 303);
    }),
  );

  app.post(
    '/forwarding',
    guarded(async (_req, reply, t, { session }, form) => {
      const settings = await deps.api.settings(session.userId);
      const checked = checkTargets(form.targets, [session.address, ...settings.addresses], t);
      if (!checked.ok)
        return html(
          reply,
          400,
          settingsPage(
            t,
            session.address || session.username,
            session.csrf,
            settings,
            { kind: 'error', lines: checked.errors },
            deps.timeZone,
          ),
        );
      await deps.api.saveTargets(session.userId, checked.value);
      deps.log.info({ user: session.userId, targets: checked.value.length }, 'forwarding saved');
      return reply.redirect('./?saved=forwarding', 303);
    }),
  );

  app.post(
    '/logout',
    guarded(async (req, reply, t, { id }) => {
      await deps.sessions.close(id);
      reply.header('set-cookie', cookie(SESSION, '', { secure: secure(req), maxAgeSeconds: 0 }));
      return html(reply, 200, messagePage(t, { kind: 'ok', lines: [t.loggedOut] }));
    }),
  );

  app.get('/health', async (_req, reply) => {
    try {
      await deps.health();
      return reply.send({ status: 'up' });
    } catch (err) {
      return reply.code(503).send({ status: 'down', detail: (err as Error).message });
    }
  });

  app.setNotFoundHandler(async (req, reply) => html(reply, 404, messagePage(text(req), { kind: 'error', lines: [text(req).notFound] })));
  app.setErrorHandler(async (err, req, reply) => {
    const t = text(req);
    const unavailable = err instanceof ApiUnavailable;
    const code = (err as { statusCode?: number }).statusCode;
    // A malformed request is the client's (4xx); anything else is ours and nothing was changed.
    const status = code !== undefined && code < 500 ? code : 503;
    if (status >= 500) deps.log.error({ err, path: req.url }, 'self-service request failed');
    return html(reply, status, messagePage(t, { kind: 'error', lines: [unavailable ? t.login.unavailable : t.errors.saveFailed] }));
  });
  return app;
}
