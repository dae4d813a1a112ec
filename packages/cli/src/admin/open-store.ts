import { type KuraConfig, loadConfig, redactSecrets } from '@kura/config';
import { openStore, type Store } from '@kura/store';
import { CliError } from '../errors.js';

/** The config and an open store, or an operator's sentence saying what to start. */
export async function openConfiguredStore(options: { config?: string }): Promise<{ config: KuraConfig; store: Store }> {
  const config = loadConfig({ file: options.config });
  try {
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl, serverSelectionTimeoutMs: 5_000 });
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
