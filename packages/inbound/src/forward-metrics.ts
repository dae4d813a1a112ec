import { Counter } from 'prom-client';
import { registry } from './metrics.js';

/** Forwards of inbound mail to users' forwarding targets, by what became of them. */
export const forwards = new Counter({
  name: 'kura_inbound_forwards_total',
  help: "Forwards by result: queued, deferred (over a sending limit, queued for later), over-limit (the user's forward limit: not sent), loop (not forwarded again), unsupported-target (http: not sent)",
  labelNames: ['result'] as const,
  registers: [registry],
});

/** ARC seals on forwards: sealed, no-key (sent unsealed: the domain has no signing key) or failed (sent unsealed). */
export const arcSeals = new Counter({
  name: 'kura_inbound_arc_seals_total',
  help: 'ARC sealing of forwarded mail: sealed, no-key or failed (both sent unsealed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

/** Mail to SRS addresses of Kura's rewrite domain (bounces of forwards): returned to the original sender, or refused. */
export const srsReturns = new Counter({
  name: 'kura_inbound_srs_returns_total',
  help: 'Mail to SRS addresses: accepted (routed back to the original sender) or rejected (forged or expired address)',
  labelNames: ['result'] as const,
  registers: [registry],
});
