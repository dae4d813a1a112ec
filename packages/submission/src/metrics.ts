import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The submission service's Prometheus metrics (GET /metrics on its metrics port). */
export const registry = new Registry();
// Node's own metrics keep their names under Kura's prefix (kura_submission_process_cpu_seconds_total, …).
collectDefaultMetrics({ register: registry, prefix: 'kura_submission_' });

export const authAttempts = new Counter({
  name: 'kura_submission_auth_total',
  help: 'AUTH attempts by result: accepted, rejected (wrong credentials), limited (too many failures from the address), tempfailed',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const senderVerdicts = new Counter({
  name: 'kura_submission_senders_total',
  help: 'Envelope and header sender checks: accepted, or rejected with the reason',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const recipientVerdicts = new Counter({
  name: 'kura_submission_recipients_total',
  help: 'RCPT TO verdicts by destination (local, remote) and result, with the reason',
  labelNames: ['destination', 'result', 'reason'] as const,
  registers: [registry],
});

export const messageVerdicts = new Counter({
  name: 'kura_submission_messages_total',
  help: 'Messages by final verdict: accepted, tempfailed or rejected, with the reason',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const acceptSeconds = new Histogram({
  name: 'kura_submission_accept_seconds',
  help: 'Time from end of DATA to every local copy stored and every remote recipient queued',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** What local delivery of submitted mail set off: forwards, ARC seals and vacation replies, by result. */
export const localSideEffects = new Counter({
  name: 'kura_submission_local_effects_total',
  help: 'Side effects of delivering submitted mail to local users: forward (queued, deferred, over-limit, loop, unsupported-target), arc-seal (sealed, no-key, failed), autoreply (queued, suppressed-*, failed)',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});
