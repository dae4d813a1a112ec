import type { KuraConfig } from '@kura/config';
import { selfServiceBin } from '@kura/selfservice';
import type { ServiceSpec } from './services.js';

/**
 * The self-service page (vacation reply, forwarding) as a supervised service.
 * Ready when its /health answers 200, which it does only once it reaches
 * Redis (sessions) and a WildDuck API (logins and settings).
 */
export function selfServiceService(config: KuraConfig, options: { ha?: boolean } = {}): ServiceSpec {
  const { host, ports } = config;
  return {
    name: 'selfservice',
    command: process.execPath,
    args: [selfServiceBin, '--resolved-config', config.paths.resolvedConfig, ...(options.ha ? ['--ha'] : [])],
    ports: { selfService: ports.selfService },
    ready: async () => {
      const res = await fetch(`http://${host}:${ports.selfService}/health`, { signal: AbortSignal.timeout(3_000) });
      if (res.status !== 200) throw new Error(`self-service page /health answered ${res.status}: ${await res.text()}`);
    },
  };
}

export const selfServiceUrl = (config: KuraConfig): string => `http://${config.host}:${config.ports.selfService}/`;
