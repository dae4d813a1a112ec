import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { lastSnapshotFinishedAt } from './snapshot-freshness.js';
import type { Status } from './state.js';

const STATES: Status[] = ['up', 'degraded', 'down', 'unknown'];

/**
 * The guard's Prometheus metrics (GET /metrics), named by the conventions:
 * base units in the name (`_seconds`, `_bytes`), `_total` on counters, and a
 * state as an up/state pair instead of an enum packed into a float.
 */
export function createMetrics(options: { snapshotDir?: string } = {}) {
  const registry = new Registry();
  const componentUp = new Gauge({
    name: 'kura_guard_component_up',
    help: 'Whether a component serves (1: up or degraded, 0: down); absent until it was first checked',
    labelNames: ['component'],
    registers: [registry],
  });
  const componentState = new Gauge({
    name: 'kura_guard_component_state',
    help: 'The component state the guard sees: 1 for the current state, 0 for the others',
    labelNames: ['component', 'state'],
    registers: [registry],
  });
  const probeSeconds = new Histogram({
    name: 'kura_guard_probe_duration_seconds',
    help: 'Duration of one probe',
    labelNames: ['component', 'result'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const canaryLatency = new Histogram({
    name: 'kura_guard_canary_latency_seconds',
    help: 'Canary delivery latency: SMTP 250 until the message is visible over IMAP',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const canaryLast = new Gauge({
    name: 'kura_guard_canary_last_latency_seconds',
    help: 'Latency of the most recent canary that arrived',
    registers: [registry],
  });
  const canaryRounds = new Counter({
    name: 'kura_guard_canary_rounds_total',
    help: 'Canary rounds by result: success (seen over IMAP), or failure (SMTP refused, or not seen in time)',
    labelNames: ['result'],
    registers: [registry],
  });
  const canaryLastSuccess = new Gauge({
    name: 'kura_guard_canary_last_success_timestamp_seconds',
    help: 'When a canary last arrived (Unix time)',
    registers: [registry],
  });
  const replicationLag = new Gauge({
    name: 'kura_guard_datatier_replication_lag_seconds',
    help: 'Replication lag of the slowest secondary (replica sets only)',
    registers: [registry],
  });
  const incidentsOpen = new Gauge({ name: 'kura_guard_incidents_open', help: 'Incidents currently open', registers: [registry] });
  const failoverActions = new Counter({
    name: 'kura_guard_failover_actions_total',
    help: 'Failover actions by kind and result',
    labelNames: ['action', 'result'],
    registers: [registry],
  });
  if (options.snapshotDir) {
    const destination = options.snapshotDir;
    // Read at each scrape. Labelled by destination so that "no snapshot yet" is no sample at all
    // (alert on absent()), never a made-up zero.
    const fresh = (set: (at: number) => number) =>
      function collect(this: Gauge) {
        this.reset();
        const at = lastSnapshotFinishedAt(destination);
        if (at !== undefined) this.set({ destination }, set(at));
      };
    new Gauge({
      name: 'kura_guard_snapshot_last_success_timestamp_seconds',
      help: 'When the newest complete snapshot finished (Unix time)',
      labelNames: ['destination'],
      registers: [registry],
      collect: fresh((at) => at / 1000),
    });
    new Gauge({
      name: 'kura_guard_snapshot_age_seconds',
      help: 'Time since the newest complete snapshot finished',
      labelNames: ['destination'],
      registers: [registry],
      collect: fresh((at) => (Date.now() - at) / 1000),
    });
  }
  const instanceRestarts = new Counter({
    name: 'kura_guard_instance_restarts_total',
    help: 'Restarts of a frontend instance seen by the guard (its process start time changed)',
    labelNames: ['instance'],
    registers: [registry],
  });
  const blocklistListed = new Gauge({
    name: 'kura_guard_blocklist_listed',
    help: 'Whether an own sending IP or domain is listed in a DNS blocklist zone (1 listed, 0 not); absent while unknown (DNS failed)',
    labelNames: ['kind', 'target', 'zone'],
    registers: [registry],
  });
  return {
    registry,
    instanceRestarts,
    blocklistListed,
    setStatus: (component: string, status: Status) => {
      if (status === 'unknown') componentUp.remove({ component });
      else componentUp.set({ component }, status === 'down' ? 0 : 1);
      for (const state of STATES) componentState.set({ component, state }, state === status ? 1 : 0);
    },
    probeSeconds,
    canaryLatency,
    canaryLast,
    canarySucceeded: () => {
      canaryRounds.inc({ result: 'success' });
      canaryLastSuccess.set(Date.now() / 1000);
    },
    canaryFailed: () => canaryRounds.inc({ result: 'failure' }),
    replicationLag,
    incidentsOpen,
    failoverActions,
  };
}

export type GuardMetrics = ReturnType<typeof createMetrics>;
