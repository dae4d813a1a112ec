#!/usr/bin/env node
import { loadConfig, readResolvedConfig, withSecurity } from '@kura/config';
import { runSelfService } from './run.js';

/**
 * `kura-selfservice --resolved-config FILE [--ha]` (how `kura up` starts it) or
 * `kura-selfservice --config kura.config.json [--ha]` (a production deployment).
 */
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const resolved = flag('--resolved-config');
const config = resolved ? readResolvedConfig(resolved) : withSecurity(loadConfig({ file: flag('--config') }));

runSelfService(config, { ha: args.includes('--ha') }).then(
  (page) => {
    const stop = () => void page.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err: unknown) => {
    process.stderr.write(`kura-selfservice: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
