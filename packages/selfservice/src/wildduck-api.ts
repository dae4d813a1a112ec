import type { VacationInput } from './forms.js';

/** The WildDuck API errors a page can explain: wrong password, two-factor required, or the API unreachable. */
export class ApiUnavailable extends Error {
  override name = 'ApiUnavailable';
}

export interface Authenticated {
  id: string;
  username: string;
  address: string;
}

export type AuthResult = { ok: true; user: Authenticated } | { ok: false; reason: 'failed' | 'second-factor' };

export interface Settings {
  vacation: { status: boolean; subject: string; text: string; start?: string; end?: string };
  targets: string[];
  addresses: string[];
}

/**
 * The calls the self-service page makes to WildDuck's API, with the master
 * token (secured profile) from the server side only: the browser never sees a
 * token, and every call names the user id the session was opened for. Tries
 * each API base in turn, so one WildDuck instance down does not stop the page.
 */
export class WildDuckApi {
  constructor(
    private readonly bases: string[],
    private readonly headers: Record<string, string>,
    private readonly timeoutMs = 5_000,
  ) {}

  /** WildDuck's own password check with the "master" scope: application passwords cannot change settings. */
  async authenticate(username: string, password: string, ip: string): Promise<AuthResult> {
    const { status, body } = await this.call('POST', '/authenticate', {
      username,
      password,
      scope: 'master',
      protocol: 'Kura self-service',
      ip,
    });
    if (status === 403 || status === 400 || body.success !== true) return { ok: false, reason: 'failed' };
    if (body.require2fa && (body.require2fa as string[]).length) return { ok: false, reason: 'second-factor' };
    return { ok: true, user: { id: String(body.id), username: String(body.username), address: String(body.address ?? '') } };
  }

  async settings(userId: string): Promise<Settings> {
    const [auto, user, addresses] = await Promise.all([
      this.expect('GET', `/users/${userId}/autoreply`),
      this.expect('GET', `/users/${userId}`),
      this.expect('GET', `/users/${userId}/addresses`),
    ]);
    const date = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      vacation: {
        status: auto.status === true,
        subject: String(auto.subject ?? ''),
        text: String(auto.text ?? ''),
        start: date(auto.start),
        end: date(auto.end),
      },
      targets: Array.isArray(user.targets) ? (user.targets as string[]) : [],
      addresses: ((addresses.results as Array<{ address: string }> | undefined) ?? []).map((a) => a.address),
    };
  }

  async saveVacation(userId: string, vacation: VacationInput): Promise<void> {
    await this.expect('PUT', `/users/${userId}/autoreply`, { ...vacation });
  }

  /** WildDuck's user-level forwarding: every message goes to the targets and a copy stays in the mailbox. */
  async saveTargets(userId: string, targets: string[]): Promise<void> {
    await this.expect('PUT', `/users/${userId}`, { targets });
  }

  /** Any API base answers its health endpoint. */
  async ping(): Promise<void> {
    await this.expect('GET', '/health');
  }

  private async expect(method: string, path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.call(method, path, body);
    if (res.status >= 400 || res.body.success === false) {
      throw new Error(`WildDuck API ${method} ${path}: ${res.status} ${String(res.body.error ?? '')}`.trim());
    }
    return res.body;
  }

  private async call(
    method: string,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let last: unknown;
    for (const base of this.bases) {
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { ...this.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        // A 5xx from one instance is worth asking the next one; 4xx is the answer.
        if (res.status >= 500) throw new Error(`${base} answered ${res.status}`);
        return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
      } catch (err) {
        last = err;
      }
    }
    throw new ApiUnavailable(`no WildDuck API answered (${(last as Error)?.message})`);
  }
}
