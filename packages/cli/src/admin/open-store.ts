import { isSecured, type KuraConfig, loadConfig, redactSecrets, withSecurity } from '@kura/config';
import { openStore, type Store } from '@kura/store';
import { CliError } from '../errors.js';

/** The config and an open store, or an operator's sentence saying what to start. */
export async function openConfiguredStore(options: { config?: string }): Promise<{ config: KuraConfig; store: Store }> {
  // The secured profile's Redis and Sentinel credentials and DKIM secret come from its secrets.
  const config = withSecurity(loadConfig({ file: options.config }));
  try {
    const store = await openStore({
      mongodbUri: config.mongodbUri,
      redisUrl: config.redisUrl,
      serverSelectionTimeoutMs: 5_000,
      dkimSecret: isSecured(config) ? config.secrets.dkimSecret : undefined,
    });
    return { config, store };
  } catch (err) {
    throw new CliError(
      `cannot reach the mail store at ${redactSecrets(config.mongodbUri)}: ${redactSecrets((err as Error).message)}\n      fix: start the stack (npm start) or pass --config with the running stack's kura.config.json`,
      { cause: err },
    );
  }
}

export const MB = 1024 * 1024;

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}
