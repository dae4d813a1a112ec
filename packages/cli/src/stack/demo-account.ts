import { apiHeaders, internalHost, type KuraConfig } from '@kura/config';
import { SetupError } from './services.js';

/**
 * Creates the demo account through WildDuck's own API unless it exists. The
 * API (not an in-process store) because WildDuck's event publishing keeps a
 * module-wide queue bound to the first Redis client it sees, which a
 * short-lived store connection would leave closed behind it.
 */
export async function ensureDemoAccount(config: KuraConfig, apiPort: number): Promise<void> {
  const base = `http://${internalHost(config)}:${apiPort}`;
  const { demo } = config;
  const call = (method: string, path: string, body?: unknown) => apiCall(base, apiHeaders(config), method, path, body);
  const found = await call('GET', `/users/resolve/${encodeURIComponent(demo.username)}`);
  if (found.success) return;
  const created = await call('POST', '/users', {
    username: demo.username,
    password: demo.password,
    address: `${demo.username}@${demo.domain}`,
    name: 'Demo user',
  });
  if (!created.success) throw new SetupError(`could not create the demo account: ${created.error ?? 'unknown error'}`);
}

async function apiCall(
  base: string,
  auth: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ success?: boolean; error?: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    // One-off calls at start-up: no idle connection is left in the pool for the API's keep-alive
    // timer to close just as a later request of the same process reuses it ("other side closed").
    headers: { 'content-type': 'application/json', connection: 'close', ...auth },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return (await res.json()) as { success?: boolean; error?: string };
}
