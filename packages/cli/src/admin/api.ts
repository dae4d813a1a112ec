import { apiHeaders, internalHost, type KuraConfig, loadConfig, withSecurity } from '@kura/config';
import { CliError } from '../errors.js';

/** A WildDuck API answer: `success` plus the route's fields, or `error` and `code`. */
export type ApiAnswer = Record<string, unknown> & { success?: boolean; error?: string; code?: string };

export interface WildDuckApi {
  config: KuraConfig;
  /** The first API that answered. */
  base: string;
  call(method: string, path: string, body?: Record<string, unknown>): Promise<ApiAnswer>;
  /** Like `call`, but a refusal becomes an operator's error naming `what` failed. */
  must(method: string, path: string, body?: Record<string, unknown>, what?: string): Promise<ApiAnswer>;
  /** A user's id by username, address or id; an error naming `kura user list` when there is none. */
  userId(nameOrAddress: string): Promise<string>;
}

const TIMEOUT_MS = 30_000;

/** The API addresses to try: the single stack's, then each HA WildDuck instance's. */
function apiBases(config: KuraConfig): string[] {
  const host = internalHost(config);
  const bases = [`http://${host}:${config.ports.api}`, ...config.ha.wildduck.map((w) => `http://${w.host ?? host}:${w.api}`)];
  return [...new Set(bases)];
}

function refusedConnection(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

/**
 * WildDuck's HTTP API with the master token of the secured profile: WildDuck
 * validates and stores (addresses, forwarding, auto-replies, mailboxes) as it
 * does for any API client, so the CLI holds no storage logic of its own.
 */
export async function openApi(options: { config?: string }): Promise<WildDuckApi> {
  const config = withSecurity(loadConfig({ file: options.config }));
  const headers = { 'content-type': 'application/json', ...apiHeaders(config) };
  const bases = apiBases(config);
  let base: string | undefined;
  let lastError: unknown;
  for (const candidate of bases) {
    try {
      const res = await fetch(`${candidate}/users?limit=1`, { headers, signal: AbortSignal.timeout(5_000) });
      if (res.status === 401 || res.status === 403)
        throw new CliError(
          `WildDuck's API at ${candidate} refused the API token (${res.status})\n      fix: run on the host with the stack's secrets file, or set KURA_API_TOKEN`,
        );
      base = candidate;
      break;
    } catch (err) {
      if (err instanceof CliError) throw err;
      lastError = err;
      if (!refusedConnection(err)) break;
    }
  }
  if (!base)
    throw new CliError(
      `cannot reach WildDuck's API (tried ${bases.join(', ')}): ${(lastError as Error)?.message}\n      fix: start the stack (npm start) or pass --config with the running stack's kura.config.json`,
    );
  const api = base;
  const call = async (method: string, path: string, body?: Record<string, unknown>): Promise<ApiAnswer> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as ApiAnswer;
    } catch {
      return { success: false, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
  };
  const must = async (method: string, path: string, body?: Record<string, unknown>, what = `${method} ${path}`) => {
    const answer = await call(method, path, body);
    if (!answer.success) throw new CliError(`${what}: WildDuck says "${answer.error ?? 'unknown error'}"`);
    return answer;
  };
  const userId = async (name: string): Promise<string> => {
    if (/^[0-9a-f]{24}$/i.test(name)) return name.toLowerCase();
    const byName = await call('GET', `/users/resolve/${encodeURIComponent(name)}`);
    if (byName.success && typeof byName.id === 'string') return byName.id;
    if (name.includes('@')) {
      const byAddress = await call('GET', `/addresses/resolve/${encodeURIComponent(name)}`);
      if (byAddress.success && typeof byAddress.user === 'string') return byAddress.user;
    }
    throw new CliError(`no user "${name}" (kura user list shows who exists; kura user add creates one)`);
  };
  return { config, base: api, call, must, userId };
}

/** True when the command should print JSON: asked for, or stdout is not a terminal (a script reads it). */
export const wantsJson = (options: { json?: boolean }): boolean => Boolean(options.json) || !process.stdout.isTTY;

/** One JSON line for scripts, or a sentence for a person. */
export function say(options: { json?: boolean }, data: unknown, human: string): void {
  process.stdout.write(wantsJson(options) ? `${JSON.stringify(data)}\n` : `${human}\n`);
}
