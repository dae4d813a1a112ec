import http from 'node:http';
import { outboundRegistry } from '@kura/outbound';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Lane } from './lanes.js';

/**
 * The inbound MX's Prometheus metrics: every verdict by reason, delivery
 * latency per lane, bytes in flight. Served on GET /metrics when the process
 * is given KURA_METRICS_PORT.
 */
export const registry = new Registry();
// Node's own metrics carry their names (process_cpu_seconds_total, …): the prefix is only Kura's.
collectDefaultMetrics({ register: registry, prefix: 'kura_inbound_' });

export const recipientVerdicts = new Counter({
  name: 'kura_inbound_recipients_total',
  help: 'RCPT TO verdicts',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const messageVerdicts = new Counter({
  name: 'kura_inbound_messages_total',
  help: 'Messages by final verdict: accepted, tempfailed or rejected, with the reason',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const deliverySeconds = new Histogram({
  name: 'kura_inbound_delivery_seconds',
  help: 'Time from end of DATA to the store acknowledging every copy, per lane',
  labelNames: ['lane'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const lanes: Lane[] = [];

/** Lanes whose bytes in flight and queue length are reported at each scrape. */
export function trackLane(lane: Lane): void {
  lanes.push(lane);
}

new Gauge({
  name: 'kura_inbound_lane_in_flight_bytes',
  help: 'Bytes of messages being stored, per lane',
  labelNames: ['lane'] as const,
  registers: [registry],
  collect() {
    for (const lane of lanes) this.set({ lane: lane.options.name }, lane.inFlightBytes);
  },
});

new Gauge({
  name: 'kura_inbound_lane_queued_messages',
  help: 'Messages waiting for room in their lane',
  labelNames: ['lane'] as const,
  registers: [registry],
  collect() {
    for (const lane of lanes) this.set({ lane: lane.options.name }, lane.queued);
  },
});

export const scanVerdicts = new Counter({
  name: 'kura_inbound_scans_total',
  help: 'Content scanner verdicts: clean, junk, or skipped (slow, busy or broken scanner)',
  labelNames: ['verdict'] as const,
  registers: [registry],
});

export const autoReplies = new Counter({
  name: 'kura_inbound_autoreplies_total',
  help: 'Auto-reply decisions: queued, or suppressed with the reason',
  labelNames: ['result'] as const,
  registers: [registry],
});

type OutboundCounts = Record<'queued' | 'sending' | 'sent' | 'failed' | 'held', number>;
let outboundSource: (() => Promise<OutboundCounts>) | undefined;

/** Where the outbound queue's depth is read at each scrape (the store; set once the plugin is registered). */
export function trackOutboundQueue(read: () => Promise<OutboundCounts>): void {
  outboundSource = read;
}

// The queue is shared by every MX: each reports the same value (use max() across instances).
new Gauge({
  name: 'kura_inbound_outbound_queue_messages',
  help: 'Messages Kura sends (submissions, auto-replies, forwards) in the outbound queue, by status (queued, sending, held, sent, failed)',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    if (!outboundSource) return;
    // A scrape while the store is down reports no sample rather than a made-up zero.
    const counts = await outboundSource().catch(() => undefined);
    if (!counts) return;
    for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
  },
});

// The delivery agent runs in this process: its kura_outbound_* metrics are served here too.
let merged: Registry | undefined;
const served = () => {
  merged ??= Registry.merge([registry, outboundRegistry]);
  return merged.metrics();
};

export function startMetricsServer(port: number, host = '127.0.0.1'): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void served().then((body) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    });
  });
  server.on('error', (err) => process.stderr.write(`metrics endpoint on ${host}:${port}: ${err.message}\n`));
  server.listen({ host, port });
  server.unref();
  return server;
}
