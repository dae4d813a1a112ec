import { apiHeaders, internalHost, type KuraConfig } from '@kura/config';

/**
 * WildDuck's API as the submission service uses it: each given API in turn
 * (the HA stack has one per WildDuck instance; default ports.api), the access token in the
 * secured profile. An answer with a status is final; only an unreachable
 * instance moves on to the next.
 */
export function wildduckApi(config: KuraConfig, apis?: string[], timeoutMs = 5_000) {
  const bases = apis?.length ? apis : [`http://${internalHost(config)}:${config.ports.api}`];
  const headers = { 'content-type': 'application/json', ...apiHeaders(config) };
  return async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    let lastError: unknown;
    for (const base of bases) {
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        return { status: res.status, json };
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no WildDuck API answered (${bases.join(', ')}): ${(lastError as Error)?.message}`);
  };
}

export type WildDuckApi = ReturnType<typeof wildduckApi>;
