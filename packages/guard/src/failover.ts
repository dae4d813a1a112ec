import type { Logger } from 'pino';
import type { HaproxyRuntime } from './haproxy-runtime.js';

export interface FailoverAction {
  at: number;
  action: 'drain' | 'ready';
  instance: string;
  backends: string[];
  reason: string;
  result: 'done' | 'skipped' | 'failed';
  note?: string;
}

/**
 * Failover actions HAProxy does not take by itself: its health check asks an
 * instance's health endpoint, but a frontend can pass that and still fail real
 * logins. When the guard's own protocol probe of one instance fails repeatedly,
 * the instance is drained (no new connections) through the runtime API. Every
 * action is logged, at most one drain happens per `minIntervalMs`, and the
 * last serving instance of a backend is never drained.
 */
export class FailoverController {
  readonly actions: FailoverAction[] = [];
  private lastDrainAt = 0;
  private readonly drained = new Set<string>();

  constructor(
    private readonly runtime: HaproxyRuntime,
    private readonly options: { enabled: boolean; minIntervalMs: number; afterFailures: number },
    private readonly log: Logger,
    private readonly onAction: (a: FailoverAction) => void = () => {},
  ) {}

  /** Called after every probe of one instance with its consecutive failure count. */
  async observe(instance: string, backends: string[], consecutiveFailures: number, reason: string): Promise<void> {
    if (!this.options.enabled) return;
    if (consecutiveFailures === 0 && this.drained.has(instance)) {
      await this.act('ready', instance, backends, 'its probes pass again');
      return;
    }
    if (consecutiveFailures < this.options.afterFailures || this.drained.has(instance)) return;
    await this.act('drain', instance, backends, reason);
  }

  private async act(action: 'drain' | 'ready', instance: string, backends: string[], reason: string): Promise<void> {
    if (action === 'drain') {
      // HAProxy's own health check already took it out (a dead process): nothing for the guard to do.
      const servers = await this.runtime.servers().catch(() => []);
      const mine = servers.filter((s) => s.server === instance && backends.includes(s.backend));
      if (mine.length > 0 && mine.every((s) => !s.status.startsWith('UP'))) return;
    }
    const record: FailoverAction = { at: Date.now(), action, instance, backends, reason, result: 'done' };
    try {
      if (action === 'drain') {
        const since = Date.now() - this.lastDrainAt;
        if (since < this.options.minIntervalMs) {
          record.result = 'skipped';
          record.note = `rate limit: last drain ${Math.round(since / 1000)} s ago (minimum ${Math.round(this.options.minIntervalMs / 1000)} s)`;
          return;
        }
        const servers = await this.runtime.servers();
        for (const backend of backends) {
          const others = servers.filter((s) => s.backend === backend && s.server !== instance && s.status.startsWith('UP'));
          if (others.length === 0) {
            record.result = 'skipped';
            record.note = `${instance} is the last instance serving ${backend}`;
            return;
          }
        }
        for (const backend of backends) await this.runtime.setState(backend, instance, 'drain');
        this.lastDrainAt = Date.now();
        this.drained.add(instance);
      } else {
        for (const backend of backends) await this.runtime.setState(backend, instance, 'ready');
        this.drained.delete(instance);
      }
    } catch (err) {
      record.result = 'failed';
      record.note = (err as Error).message;
    } finally {
      // Skipped drains are logged once per rate-limit window at most, not on every probe.
      const last = this.actions[0];
      const repeat = record.result === 'skipped' && last?.instance === instance && last.result === 'skipped' && last.action === action;
      if (!repeat) {
        this.actions.unshift(record);
        this.actions.splice(50);
        this.log.warn({ failover: record }, `failover ${action} ${instance}: ${record.result}${record.note ? ` (${record.note})` : ''}`);
        this.onAction(record);
      }
    }
  }
}
