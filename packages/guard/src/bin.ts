#!/usr/bin/env node
import { loadConfig, readResolvedConfig } from '@kura/config';
import { runGuard } from './run.js';

/**
 * `kura-guard --resolved-config FILE` (how `kura up --ha` starts it) or
 * `kura-guard --config kura.config.json` (a production deployment).
 */
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const resolved = flag('--resolved-config');
const config = resolved ? readResolvedConfig(resolved) : loadConfig({ file: flag('--config') });

runGuard(config).then(
  (guard) => {
    const stop = () => void guard.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err: unknown) => {
    process.stderr.write(`kura-guard: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
