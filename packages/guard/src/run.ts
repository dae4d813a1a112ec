import { internalHost, type KuraConfig } from '@kura/config';
import pino from 'pino';
import { createGuard } from './guard.js';
import { startGuardServer } from './server.js';

/** Runs the guard until stopped: probes, canary, HTTP server. */
export async function runGuard(config: KuraConfig): Promise<{ stop(): Promise<void>; url: string }> {
  const log = pino({ name: 'kura-guard', level: config.logLevel === 'trace' ? 'trace' : config.logLevel });
  const guard = createGuard(config, log);
  const refreshMs = Math.min(5_000, Math.max(1_000, config.guard.probeIntervalMs));
  // Status page, /health and /metrics: the internal address (security.internalHost), never the public one.
  const app = await startGuardServer(guard, {
    host: internalHost(config),
    port: config.guard.port,
    title: config.hostname,
    refreshMs,
    log,
    snapshotDir: config.paths.snapshots,
  });
  const url = `http://${internalHost(config)}:${config.guard.port}/`;
  log.info({ url }, 'guard running');
  return {
    url,
    async stop() {
      await guard.stop();
      await app.close();
    },
  };
}
