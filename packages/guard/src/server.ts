import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Guard } from './guard.js';
import { statusText } from './i18n/index.js';
import { lastSnapshotFinishedAt } from './snapshot-freshness.js';
import { renderStatusFragment, renderStatusPage } from './status-page.js';

/** The guard's HTTP face: the status page, /status.json, /health and /metrics. */
export async function startGuardServer(
  guard: Guard,
  options: { host: string; port: number; title: string; refreshMs: number; log: Logger; snapshotDir?: string },
): Promise<FastifyInstance> {
  // Typed as Fastify's base logger so the instance type does not depend on pino's generics.
  const app = Fastify({
    loggerInstance: options.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const { state, metrics, failover } = guard;
  const listings = () => [...guard.blocklist.entries.values()];
  // The page follows the browser's Accept-Language unless the reader picked a language (?lang=).
  const text = (req: FastifyRequest) => statusText((req.query as { lang?: string }).lang, req.headers['accept-language']);
  const html = (reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('vary', 'Accept-Language');

  app.get('/', async (req, reply) => html(reply).send(renderStatusPage(state, options.title, options.refreshMs, text(req), listings())));
  app.get('/status/fragment', async (req, reply) => html(reply).send(renderStatusFragment(state, text(req), listings())));
  app.get('/status.json', async () => {
    // The newest complete snapshot, read at each request (as /metrics does): `kura status` shows its age.
    const snapshotAt = options.snapshotDir ? lastSnapshotFinishedAt(options.snapshotDir) : undefined;
    return {
      overall: state.overall(),
      components: [...state.components.values()].map(({ failures: _f, successes: _s, ...c }) => c),
      incidents: state.incidents,
      failoverActions: failover.actions,
      blocklist: listings(),
      snapshot:
        snapshotAt === undefined
          ? null
          : { finishedAt: new Date(snapshotAt).toISOString(), ageSeconds: Math.round((Date.now() - snapshotAt) / 1000) },
    };
  });
  // 200 while every component is up; 503 names what is not, so any uptime checker can alert on it.
  app.get('/health', async (_req, reply) => {
    const overall = state.overall();
    const notUp = [...state.components.values()]
      .filter((c) => c.status !== 'up')
      .map((c) => ({ id: c.id, status: c.status, detail: c.detail }));
    return reply.code(overall === 'up' ? 200 : 503).send({ status: overall, notUp });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  await app.listen({ host: options.host, port: options.port });
  return app;
}
