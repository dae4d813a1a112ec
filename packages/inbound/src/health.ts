import { expectGreeting, pingStore, startHealthEndpoint } from '@kura/store';
import { getStore } from './store-handle.js';

/**
 * The deep health endpoint of one Haraka instance of the high-availability
 * stack (HAProxy checks it): SMTP answers a real greeting and this process's
 * own store connection reaches the data tier and Redis. Started only when
 * `kura up --ha` sets KURA_HEALTH_PORT.
 */
export function startInboundHealth(env: NodeJS.ProcessEnv = process.env): void {
  const port = Number(env.KURA_HEALTH_PORT);
  const smtpPort = Number(env.KURA_HEALTH_SMTP);
  const host = env.KURA_HEALTH_HOST ?? '127.0.0.1';
  if (!port || !smtpPort) return;
  startHealthEndpoint({
    // The endpoint listens on the internal address; SMTP is checked where it listens.
    host: env.KURA_HEALTH_BIND || host,
    port,
    checks: [
      { name: 'smtp', run: () => expectGreeting(host, smtpPort, /^220[ -]/) },
      { name: 'data tier and redis', run: async () => pingStore(await getStore()) },
    ],
  });
}
