import { guardApiHeaders, internalHost, type KuraConfig } from '@kura/config';
import { ensureGuardApiToken } from './service-token.js';

export interface Account {
  user: string;
  pass: string;
  address: string;
  name: string;
}

/**
 * Makes sure a service account (the canary, the drill account) exists, through
 * the WildDuck API of the first instance that answers, with the guard's own
 * narrow role token (registered in Redis first), never the master token.
 */
export async function ensureAccount(config: KuraConfig, account: Account, timeoutMs = 5_000): Promise<void> {
  const apis = config.ha.wildduck.map((w) => `http://${w.host ?? internalHost(config)}:${w.api}`);
  await ensureGuardApiToken(config, timeoutMs);
  const auth = guardApiHeaders(config);
  let lastError: unknown;
  for (const api of apis) {
    try {
      const found = await fetch(`${api}/users/resolve/${encodeURIComponent(account.user)}`, {
        headers: auth,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (found.ok) return;
      if (found.status !== 404) throw new Error(`${api} answered ${found.status} when looking up ${account.user}`);
      const created = await fetch(`${api}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ username: account.user, password: account.pass, address: account.address, name: account.name }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!created.ok) throw new Error(`${api} refused to create ${account.user}: ${created.status} ${await created.text()}`);
      return;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`cannot create the ${account.user} account through any WildDuck API: ${(lastError as Error)?.message}`);
}
