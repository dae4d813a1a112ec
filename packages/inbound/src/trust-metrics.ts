import { Counter, Histogram } from 'prom-client';
import { registry } from './metrics.js';

/** Sender authentication verdicts, one per method and message (RFC 8601 result names). */
export const authResults = new Counter({
  name: 'kura_inbound_auth_results_total',
  help: 'Authentication verdicts per method (spf, dkim, dmarc, arc) and result (pass, fail, softfail, none, temperror …)',
  labelNames: ['method', 'result'] as const,
  registers: [registry],
});

/** DNS blocklist lookups at connect: listed, clear, or error (DNS failure: the client is let through). */
export const blocklistLookups = new Counter({
  name: 'kura_inbound_blocklist_lookups_total',
  help: 'DNS blocklist lookups of connecting IPs per zone: listed, clear or error; cached answers count as cached',
  labelNames: ['zone', 'result'] as const,
  registers: [registry],
});

/** rspamd scores of the messages it judged within the budget. */
export const spamScores = new Histogram({
  name: 'kura_inbound_spam_score',
  help: 'rspamd score of each scanned message',
  buckets: [-5, 0, 2, 4, 6, 8, 10, 15, 20, 30],
  registers: [registry],
});

/** Time rspamd took for the messages it judged (skipped ones are counted in kura_inbound_scans_total). */
export const scanSeconds = new Histogram({
  name: 'kura_inbound_scan_seconds',
  help: 'Time from sending a message to rspamd to its verdict',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** DMARC failures by the record's policy and the one applied (lower when pct sampling left the message out). */
export const dmarcPolicies = new Counter({
  name: 'kura_inbound_dmarc_policy_total',
  help: 'DMARC failures per published policy and applied policy; they differ when the pct tag sampled the message out',
  labelNames: ['policy', 'applied'] as const,
  registers: [registry],
});
