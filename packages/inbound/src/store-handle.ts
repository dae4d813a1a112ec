import { isSecured, type KuraConfig, readResolvedConfig } from '@kura/config';
import { ensureStoreIndexes, openStore, type Store } from '@kura/store';

/**
 * One store connection per Haraka process, opened on first use so that a data
 * tier that is down at start-up only delays mail (4xx) instead of stopping Haraka.
 */
let config: KuraConfig | undefined;
let opening: Promise<Store> | undefined;
let logError: (message: string) => void = () => {};

/** Where connection trouble outside any transaction is reported (Haraka's plugin logger). */
export function setStoreLogger(log: (message: string) => void): void {
  logError = log;
}

export function inboundConfig(): KuraConfig {
  if (config) return config;
  const file = process.env.KURA_CONFIG_RESOLVED;
  if (!file) throw new Error('KURA_CONFIG_RESOLVED is not set: start Haraka through `kura up`');
  config = readResolvedConfig(file);
  return config;
}

export function getStore(): Promise<Store> {
  if (!opening) {
    const config = inboundConfig();
    const { mongodbUri, redisUrl } = config;
    opening = openStore({
      mongodbUri,
      redisUrl,
      // The secured profile has WildDuck encrypt DKIM keys; the delivery agent in this process signs with them.
      dkimSecret: isSecured(config) ? config.secrets.dkimSecret : undefined,
      onConnectionError: (tier, err) => logError(`${tier} connection: ${err.message}`),
    }).then(async (store) => {
      await ensureStoreIndexes(store, inboundConfig().smtp.duplicateWindowMs);
      return store;
    });
    // A failed open is retried by the next transaction rather than cached forever.
    opening.catch(() => {
      opening = undefined;
    });
  }
  return opening;
}

export async function closeStore(): Promise<void> {
  const current = opening;
  opening = undefined;
  if (current) await (await current).close().catch(() => undefined);
}
