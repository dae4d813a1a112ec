import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Status } from './state.js';

const STATUS_VALUE: Record<Status, number> = { up: 1, degraded: 0.5, down: 0, unknown: -1 };

/** The guard's Prometheus metrics (GET /metrics). */
export function createMetrics() {
  const registry = new Registry();
  const componentUp = new Gauge({
    name: 'kura_guard_component_status',
    help: 'Component status as the guard sees it: 1 up, 0.5 degraded, 0 down, -1 not checked yet',
    labelNames: ['component'],
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
  const canaryFailures = new Counter({
    name: 'kura_guard_canary_failures_total',
    help: 'Canary rounds that failed (SMTP refused, or not seen over IMAP in time)',
    registers: [registry],
  });
  const incidentsOpen = new Gauge({ name: 'kura_guard_incidents_open', help: 'Incidents currently open', registers: [registry] });
  const failoverActions = new Counter({
    name: 'kura_guard_failover_actions_total',
    help: 'Failover actions by kind and result',
    labelNames: ['action', 'result'],
    registers: [registry],
  });
  const instanceRestarts = new Counter({
    name: 'kura_guard_instance_restarts_total',
    help: 'Restarts of a frontend instance seen by the guard (its process start time changed)',
    labelNames: ['instance'],
    registers: [registry],
  });
  return {
    registry,
    instanceRestarts,
    setStatus: (component: string, status: Status) => componentUp.set({ component }, STATUS_VALUE[status]),
    probeSeconds,
    canaryLatency,
    canaryLast,
    canaryFailures,
    incidentsOpen,
    failoverActions,
  };
}

export type GuardMetrics = ReturnType<typeof createMetrics>;
