import { loadConfig, readResolvedConfig } from './load.js';
import type { KuraConfig } from './resolve.js';
import { withSecurity } from './security.js';

/**
 * The start-up of a Kura service binary: `NAME --resolved-config FILE` (how `kura up` starts it) or
 * `NAME --config kura.config.json` (a production deployment; secrets loaded when security is on).
 * Runs `start` with the config and the other flags, stops the service on SIGTERM/SIGINT, and ends
 * the process with a one-line message when it cannot start.
 */
export function serviceMain(name: string, start: (config: KuraConfig, args: string[]) => Promise<{ stop(): Promise<void> }>): void {
  const args = process.argv.slice(2);
  const flag = (option: string) => {
    const i = args.indexOf(option);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const readConfig = () => {
    const resolved = flag('--resolved-config');
    return resolved ? readResolvedConfig(resolved) : withSecurity(loadConfig({ file: flag('--config') }));
  };
  // A config that does not load ends the process the same way as a service that cannot start.
  Promise.resolve()
    .then(() => start(readConfig(), args))
    .then(
      (service) => {
        const stop = () => void service.stop().finally(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
      (err: unknown) => {
        process.stderr.write(`${name}: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
}
