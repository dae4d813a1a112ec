import { apiHeaders, internalHost, type KuraConfig } from '@kura/config';
import { connectRedis } from '@kura/store';
import pino from 'pino';
import { buildSelfService } from './server.js';
import { Sessions } from './sessions.js';
import { LoginThrottle } from './throttle.js';
import { WildDuckApi } from './wildduck-api.js';

export interface SelfServiceOptions {
  /** The HA topology: ask the WildDuck instances in `ha.wildduck` in turn instead of `ports.api`. */
  ha?: boolean;
}

/** The WildDuck APIs the page asks, first that answers wins. */
export function apiBases(config: KuraConfig, options: SelfServiceOptions = {}): string[] {
  const host = internalHost(config);
  if (options.ha) return config.ha.wildduck.map((w) => `http://${w.host ?? host}:${w.api}`);
  return [`http://${host}:${config.ports.api}`];
}

/** Runs the self-service page on ports.selfService until stopped. */
export async function runSelfService(
  config: KuraConfig,
  options: SelfServiceOptions = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const log = pino({ name: 'kura-selfservice', level: config.logLevel === 'trace' ? 'trace' : config.logLevel });
  const s = config.selfService;
  const redis = connectRedis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection problem'));
  const api = new WildDuckApi(apiBases(config, options), apiHeaders(config));
  const app = buildSelfService({
    api,
    sessions: new Sessions(redis, s.sessionIdleMinutes * 60),
    throttle: new LoginThrottle(redis, s.maxFailedLogins, s.failedLoginWindowSeconds),
    health: async () => {
      await redis.ping();
      await api.ping();
    },
    log,
    // Served over plain HTTP on loopback; behind the TLS front (X-Forwarded-Proto: https) the cookies are Secure.
    secure: false,
    trustProxy: s.trustProxy,
    timeZone: s.timeZone,
  });
  await app.listen({ host: config.host, port: config.ports.selfService });
  const url = `http://${config.host}:${config.ports.selfService}/`;
  log.info({ url }, 'self-service page running');
  return {
    url,
    async stop() {
      await app.close();
      redis.disconnect();
    },
  };
}
