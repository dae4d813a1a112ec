import fs from 'node:fs';

export type Status = 'up' | 'degraded' | 'down' | 'unknown';

/** What a probe returns: a detail line, or one flagged as degraded (working, but with less redundancy). */
export type ProbeOutcome = string | { detail: string; degraded: boolean };

export interface Component {
  id: string;
  /** Plain-language name for the status page. */
  title: string;
  /** What users notice when it is down. */
  impact: string;
  status: Status;
  detail: string;
  since: number;
  lastCheck: number;
  latencyMs?: number;
  /** Internal components (single instances) are listed under "details", not as user-visible services. */
  internal: boolean;
  failures: number;
  successes: number;
}

export interface Incident {
  id: number;
  component: string;
  title: string;
  detail: string;
  status: Exclude<Status, 'up' | 'unknown'>;
  startedAt: number;
  resolvedAt?: number;
}

export interface Transition {
  component: Component;
  incident: Incident;
  kind: 'opened' | 'resolved' | 'changed';
}

/** Failed probes in a row before a component counts as down (one failure can be a blip). */
const FAILURES_TO_OPEN = 2;
/** Passing probes in a row before an incident is closed. */
const SUCCESSES_TO_CLOSE = 2;
const HISTORY = 100;

/**
 * Component states and the incident history. An incident opens when a
 * component has failed twice in a row (or is degraded) and resolves when it
 * has passed twice in a row; the history is appended to a JSON-lines file so
 * that it survives a restart of the guard.
 */
export class GuardState {
  readonly components = new Map<string, Component>();
  readonly incidents: Incident[] = [];
  private nextIncidentId = 1;
  private readonly listeners: Array<(t: Transition) => void> = [];

  constructor(private readonly historyFile?: string) {
    if (historyFile && fs.existsSync(historyFile)) this.loadHistory(historyFile);
  }

  onTransition(listener: (t: Transition) => void): void {
    this.listeners.push(listener);
  }

  define(id: string, title: string, impact: string, internal = false): void {
    if (this.components.has(id)) return;
    const now = Date.now();
    this.components.set(id, {
      id,
      title,
      impact,
      internal,
      status: 'unknown',
      detail: 'not checked yet',
      since: now,
      lastCheck: 0,
      failures: 0,
      successes: 0,
    });
  }

  /** Records one probe result; `error` set means the probe failed. */
  record(id: string, result: { ok: boolean; degraded?: boolean; detail: string; latencyMs?: number }): void {
    const c = this.components.get(id);
    if (!c) throw new Error(`unknown component ${id}`);
    const now = Date.now();
    c.lastCheck = now;
    c.latencyMs = result.latencyMs;
    c.detail = result.detail;
    if (result.ok) {
      c.failures = 0;
      c.successes += 1;
    } else {
      c.successes = 0;
      c.failures += 1;
    }
    const next: Status = !result.ok
      ? c.failures >= FAILURES_TO_OPEN || c.status === 'down'
        ? 'down'
        : c.status === 'unknown'
          ? 'unknown'
          : c.status
      : result.degraded
        ? 'degraded'
        : c.status === 'unknown' || c.successes >= SUCCESSES_TO_CLOSE
          ? 'up'
          : c.status;
    if (next === c.status) return;
    const previous = c.status;
    c.status = next;
    c.since = now;
    this.transition(c, previous);
  }

  /** Sets a status directly (the canary's "delayed" is decided by elapsed time, not by counting). */
  force(id: string, status: Status, detail: string): void {
    const c = this.components.get(id);
    if (!c) throw new Error(`unknown component ${id}`);
    c.detail = detail;
    c.lastCheck = Date.now();
    if (c.status === status) return;
    const previous = c.status;
    c.status = status;
    c.since = Date.now();
    c.failures = status === 'down' ? FAILURES_TO_OPEN : 0;
    c.successes = status === 'up' ? SUCCESSES_TO_CLOSE : 0;
    this.transition(c, previous);
  }

  openIncident(componentId: string): Incident | undefined {
    return this.incidents.find((i) => i.component === componentId && i.resolvedAt === undefined);
  }

  overall(): Status {
    const visible = [...this.components.values()];
    if (visible.some((c) => !c.internal && c.status === 'down')) return 'down';
    if (visible.some((c) => c.status === 'down' || c.status === 'degraded')) return 'degraded';
    if (visible.some((c) => c.status === 'unknown')) return 'unknown';
    return 'up';
  }

  private transition(c: Component, previous: Status): void {
    const open = this.openIncident(c.id);
    if (c.status === 'down' || c.status === 'degraded') {
      if (open) {
        open.status = c.status;
        open.detail = c.detail;
        this.emit({ component: c, incident: open, kind: 'changed' });
      } else {
        const incident: Incident = {
          id: this.nextIncidentId++,
          component: c.id,
          title: `${c.title}: ${c.status === 'down' ? c.impact : 'degraded'}`,
          detail: c.detail,
          status: c.status,
          startedAt: Date.now(),
        };
        this.incidents.unshift(incident);
        this.incidents.splice(HISTORY);
        this.emit({ component: c, incident, kind: 'opened' });
      }
    } else if (open && c.status === 'up') {
      open.resolvedAt = Date.now();
      this.emit({ component: c, incident: open, kind: 'resolved' });
    }
    void previous;
  }

  private emit(t: Transition): void {
    if (this.historyFile) {
      try {
        fs.appendFileSync(this.historyFile, `${JSON.stringify({ kind: t.kind, incident: t.incident })}\n`);
      } catch {
        // The history file is a convenience; the guard keeps working without it.
      }
    }
    for (const listener of this.listeners) listener(t);
  }

  private loadHistory(file: string): void {
    const byId = new Map<number, Incident>();
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const { incident } = JSON.parse(line) as { incident: Incident };
        byId.set(incident.id, incident);
      } catch {
        // A torn last line after a crash is skipped.
      }
    }
    const restored = [...byId.values()].sort((a, b) => b.startedAt - a.startedAt).slice(0, HISTORY);
    // Incidents still open when the guard stopped are closed as "unknown end": the guard re-checks from scratch.
    for (const incident of restored) incident.resolvedAt ??= incident.startedAt;
    this.incidents.push(...restored);
    this.nextIncidentId = Math.max(0, ...restored.map((i) => i.id)) + 1;
  }
}
