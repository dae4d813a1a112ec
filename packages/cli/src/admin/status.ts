import { internalHost, loadConfig } from '@kura/config';
import Table from 'cli-table3';
import { CliError } from '../errors.js';
import { formatAge } from './status-format.js';

interface Component {
  id: string;
  title: string;
  status: 'up' | 'degraded' | 'down' | 'unknown';
  detail: string;
  since: number;
  lastCheck: number;
  internal: boolean;
}

interface Incident {
  id: number;
  title: string;
  detail: string;
  startedAt: number;
  resolvedAt?: number;
}

export interface GuardStatusJson {
  overall: Component['status'];
  components: Component[];
  incidents: Incident[];
  snapshot?: { finishedAt: string; ageSeconds: number } | null;
}

/** Exit codes scripts can use: 0 all up, 2 degraded or not yet probed, 3 something down (1: no answer, as any error). */
export const STATUS_EXIT: Record<Component['status'], number> = { up: 0, unknown: 2, degraded: 2, down: 3 };

function guardUrl(options: { config?: string; guard?: string }): string {
  if (options.guard) return options.guard.endsWith('/') ? options.guard : `${options.guard}/`;
  const config = loadConfig({ file: options.config });
  // The guard serves its status on the internal address (security.internalHost) in the secured profile.
  return `http://${internalHost(config)}:${config.guard.port}/`;
}

async function fetchStatus(url: string): Promise<GuardStatusJson> {
  let res: Response;
  try {
    res = await fetch(new URL('status.json', url), { signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    throw new CliError(
      `the guard does not answer at ${url}: ${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}\n      fix: start it (kura guard, or systemctl start kura-guard) or point at it with --guard http://host:port/`,
    );
  }
  if (!res.ok)
    throw new CliError(`the guard at ${url} answered HTTP ${res.status} for status.json: is that the guard's port (guard.port)?`);
  return (await res.json()) as GuardStatusJson;
}

/** Highlights of the components the operator asks about first. */
function summary(s: GuardStatusJson, now: number): string[] {
  const byId = new Map(s.components.map((c) => [c.id, c]));
  const delivery = byId.get('delivery');
  const datatier = byId.get('datatier');
  return [
    `last canary:  ${delivery ? `${delivery.detail} (${formatAge(now - delivery.lastCheck)} ago)` : 'no canary'}`,
    `replication:  ${datatier ? datatier.detail : 'not probed'}`,
    `snapshot:     ${s.snapshot ? `newest finished ${formatAge(s.snapshot.ageSeconds * 1000)} ago (${s.snapshot.finishedAt})` : 'none found'}`,
  ];
}

/** `kura status`: the guard's status page in the terminal; the exit code says whether all is well. */
export async function status(options: { config?: string; guard?: string; json?: boolean }) {
  const url = guardUrl(options);
  const s = await fetchStatus(url);
  const now = Date.now();
  if (options.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify({ guard: url, ...s })}\n`);
  } else {
    const table = new Table({ head: ['component', 'status', 'since', 'detail'] });
    for (const c of s.components)
      table.push([c.internal ? `  ${c.title}` : c.title, c.status.toUpperCase(), `${formatAge(now - c.since)}`, c.detail.slice(0, 90)]);
    const open = s.incidents.filter((i) => i.resolvedAt === undefined);
    process.stdout.write(
      `${[
        `Kura status: ${s.overall.toUpperCase()}   (guard ${url})`,
        table.toString(),
        ...summary(s, now),
        open.length ? `open incidents:\n${open.map((i) => `  #${i.id} ${i.title}: ${i.detail}`).join('\n')}` : 'no open incidents',
      ].join('\n')}\n`,
    );
  }
  process.exitCode = STATUS_EXIT[s.overall] ?? 2;
}
