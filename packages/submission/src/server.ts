import fs from 'node:fs';
import http from 'node:http';
import { internalHost, type KuraConfig } from '@kura/config';
import { expectGreeting, openStore, pingStore, type Store, startHealthEndpoint } from '@kura/store';
import pino, { type Logger } from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { authenticator } from './auth.js';
import { submissionHandlers } from './handlers.js';
import { registry } from './metrics.js';
import { wildduckApi } from './wildduck-api.js';

export interface SubmissionOptions {
  /** STARTTLS port (587 in production) and implicit-TLS port (465). */
  port: number;
  tlsPort: number;
  /** GET /metrics (unset: none). */
  metricsPort?: number;
  /** GET /health for HAProxy: a real SMTP greeting on `port` and the store answer (unset: none). */
  healthPort?: number;
  /** PEM files of the certificate both ports present. */
  cert: string;
  key: string;
  /** WildDuck APIs to authenticate against, tried in turn (default: ports.api). */
  apis?: string[];
  /** Read the client's address from a PROXY protocol header (behind HAProxy). */
  proxyProtocol?: boolean;
}

export interface RunningSubmission {
  reloadCertificates(): void;
  stop(): Promise<void>;
}

/**
 * Authenticated submission on two listeners: `port` offers STARTTLS and
 * refuses AUTH (and does not advertise it) until TLS is up; `tlsPort` speaks
 * TLS from the first byte. Both require AUTH before MAIL FROM.
 */
export async function startSubmission(config: KuraConfig, options: SubmissionOptions, log?: Logger): Promise<RunningSubmission> {
  const logger = log ?? pino({ name: 'kura-submission', level: config.logLevel });
  const tls = () => {
    try {
      return { cert: fs.readFileSync(options.cert), key: fs.readFileSync(options.key) };
    } catch (err) {
      throw new Error(`cannot read the submission certificate (${options.cert}, ${options.key}): ${(err as Error).message}`);
    }
  };
  const store: Store = await openStore({
    mongodbUri: config.mongodbUri,
    redisUrl: config.redisUrl,
    onConnectionError: (tier, err) => logger.warn({ tier, err: err.message }, 'store connection trouble'),
  });
  const handlers = submissionHandlers(config, store, authenticator(config, wildduckApi(config, options.apis), store.redis), logger);
  const common: SMTPServerOptions = {
    ...tls(),
    name: config.hostname,
    banner: 'Kura submission',
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    authOptional: false,
    authRequiredMessage: 'Authentication required: STARTTLS (port 587) or TLS (port 465), then AUTH',
    size: config.smtp.maxMessageBytes,
    hideENHANCEDSTATUSCODES: false,
    // Neither is carried through the outbound queue, so neither is offered.
    hideDSN: true,
    hideREQUIRETLS: true,
    useProxy: options.proxyProtocol ?? false,
    logger: false,
    ...handlers,
  };
  const servers = [
    { name: 'submission', port: options.port, server: new SMTPServer({ ...common, secure: false }) },
    { name: 'submissions', port: options.tlsPort, server: new SMTPServer({ ...common, secure: true }) },
  ];
  for (const { name, server } of servers) server.on('error', (err) => logger.error({ listener: name, err: err.message }, 'listener error'));
  await Promise.all(
    servers.map(
      ({ port, server }) =>
        new Promise<void>((resolve, reject) => {
          server.server.once('error', reject);
          server.listen(port, config.host, () => {
            server.server.off('error', reject);
            resolve();
          });
        }),
    ),
  );
  const metrics = options.metricsPort ? startMetrics(internalHost(config), options.metricsPort) : undefined;
  const health = options.healthPort
    ? startHealthEndpoint({
        host: internalHost(config),
        port: options.healthPort,
        checks: [
          // Behind HAProxy the port expects a PROXY header first, as HAProxy sends it.
          { name: 'smtp', run: () => expectGreeting(config.host, options.port, /^220 /, 2_000, { proxyHeader: options.proxyProtocol }) },
          { name: 'store', run: () => pingStore(store) },
        ],
      })
    : undefined;
  logger.info({ host: config.host, port: options.port, tlsPort: options.tlsPort, ...pick(options) }, 'submission listening');

  return {
    reloadCertificates() {
      const material = tls();
      for (const { server } of servers) server.updateSecureContext(material);
      logger.info({ cert: options.cert }, 'certificates reloaded');
    },
    async stop() {
      metrics?.close();
      health?.close();
      await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await store.close();
    },
  };
}

/** GET /metrics for Prometheus. */
function startMetrics(host: string, port: number): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
  });
  server.on('error', (err) => process.stderr.write(`submission metrics endpoint on ${host}:${port}: ${err.message}\n`));
  server.listen({ host, port });
  server.unref();
  return server;
}

const pick = ({ metricsPort, healthPort, proxyProtocol }: SubmissionOptions) => ({ metricsPort, healthPort, proxyProtocol });
