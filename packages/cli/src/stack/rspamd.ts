import fs from 'node:fs';
import path from 'node:path';
import { type KuraConfig, renderRspamdConfig, rspamdPaths, rspamdUrl } from '@kura/config';
import type { ServiceSpec } from './services.js';

/** Writes the local rspamd's config directory and creates its state and cache directories. */
export function prepareRspamd(config: KuraConfig): void {
  const paths = rspamdPaths(config);
  for (const dir of [paths.conf, paths.db, paths.run, paths.cache]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [file, content] of Object.entries(renderRspamdConfig(config))) {
    const target = path.join(paths.conf, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content, { mode: 0o600 });
  }
}

/**
 * Debian's rspamd with Kura's config: in the foreground (the supervisor owns
 * it), every directory under the data dir, ready once /ping answers "pong".
 * The very first start compiles rspamd's patterns (tens of seconds); later
 * starts reuse the cache and answer within about a second.
 */
export function rspamdService(config: KuraConfig): ServiceSpec {
  const paths = rspamdPaths(config);
  const vars = { LOCAL_CONFDIR: paths.conf, DBDIR: paths.db, RUNDIR: paths.run, LOGDIR: paths.run };
  return {
    name: 'rspamd',
    command: 'rspamd',
    args: [
      '--no-fork',
      '--config',
      path.join(paths.conf, 'rspamd.conf'),
      // rspamd refuses to run its workers as root unless told so; the local stack runs as whoever starts it.
      ...(process.getuid?.() === 0 ? ['--insecure'] : []),
      ...Object.entries(vars).map(([name, value]) => `--var=${name}=${value}`),
    ],
    ports: { rspamd: config.ports.rspamd },
    readyTimeoutMs: 180_000,
    ready: async () => {
      const response = await fetch(`${rspamdUrl(config)}/ping`, { signal: AbortSignal.timeout(2_000) });
      const text = (await response.text()).trim();
      if (text !== 'pong') throw new Error(`rspamd answered "${text}" to /ping`);
    },
  };
}
