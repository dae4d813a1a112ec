import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The delivery agent's metrics. The process that runs the agent serves them
 * next to its own (Haraka's metrics endpoint merges this registry).
 */
export const outboundRegistry = new Registry();

export const deliveries = new Counter({
  name: 'kura_outbound_deliveries_total',
  help: 'Recipients per delivery attempt by result: delivered, deferred (retried), failed (refused for good or given up), suppressed',
  labelNames: ['kind', 'result'] as const,
  registers: [outboundRegistry],
});

export const dsnsSent = new Counter({
  name: 'kura_outbound_dsns_total',
  help: 'Delivery status notifications (bounces) stored in the sender’s INBOX',
  registers: [outboundRegistry],
});

export const suppressedTotal = new Counter({
  name: 'kura_outbound_suppressed_total',
  help: 'Hard bounces that put (or kept) an address on the suppression list',
  registers: [outboundRegistry],
});

export const dkimSignatures = new Counter({
  name: 'kura_outbound_dkim_signatures_total',
  help: 'Messages by DKIM signing result at send time: signed, or unsigned (no key for the sender domain)',
  labelNames: ['result'] as const,
  registers: [outboundRegistry],
});

export const holdsTotal = new Counter({
  name: 'kura_outbound_holds_total',
  help: 'Senders held for an operator because their recipients failed at a high rate',
  registers: [outboundRegistry],
});

export const heldSenders = new Gauge({
  name: 'kura_outbound_held_senders',
  help: 'Senders currently held for an operator (kura queue release lets them go)',
  registers: [outboundRegistry],
});

export const deferrals = new Counter({
  name: 'kura_outbound_deferrals_total',
  help: 'Entries put back without an attempt, by reason (send budget spent, store trouble)',
  labelNames: ['reason'] as const,
  registers: [outboundRegistry],
});
