import { ConfigError } from './load.js';
import type { KuraConfig } from './resolve.js';

/**
 * How long each SMTP phase of Kura's inbound plugin may take, derived from the
 * configured budgets. Kura's own code answers within `budgetMs` (a 4xx naming
 * the cause, e.g. `451 4.3.0`); Haraka's plugin timer for that hook is set
 * `HARAKA_MARGIN_MS` later, so its generic "plugin timeout" can only fire when
 * Kura's own deadline failed, never in its place.
 */
export interface HookTimeout {
  /** Kura's own deadline for the phase, in ms. */
  budgetMs: number;
  /** Haraka's timer for the hook, in whole seconds (what Haraka reads). */
  harakaSeconds: number;
}

export type KuraHook = 'connect' | 'capabilities' | 'mail' | 'rcpt' | 'data_post' | 'queue';

/** Room between Kura's deadline and Haraka's: a timer firing late on a loaded host. */
export const HARAKA_MARGIN_MS = 5_000;

/** RFC 5321 4.5.3.2.6: a client waits 10 minutes for the reply to the end of DATA; ours must come first. */
export const DATA_TERMINATION_MS = 10 * 60_000;

export function hookTimeouts(config: KuraConfig): Record<KuraHook, HookTimeout> {
  const { smtp, trust } = config;
  // The scanner (a command, or rspamd by default) runs within smtp.scanner's budget.
  const scanning = Boolean(smtp.scanner.command) || trust.rspamd.enabled;
  const scannerMs = scanning ? smtp.scanner.timeoutMs : 0;
  const authenticationMs = trust.authentication.enabled ? trust.authentication.timeoutMs : 0;
  const budgets: Record<KuraHook, number> = {
    // DNS blocklists, all zones asked at once, each query tried once within dnsTimeoutMs.
    connect: trust.blocklists.zones.length > 0 ? trust.dnsTimeoutMs : smtp.lookupTimeoutMs,
    capabilities: smtp.lookupTimeoutMs,
    mail: smtp.lookupTimeoutMs,
    // The recipient lookup in the store.
    rcpt: smtp.lookupTimeoutMs,
    // Sender authentication, the scanner's budget, then the repeat check in Redis.
    data_post: authenticationMs + scannerMs + smtp.lookupTimeoutMs,
    // Waiting for room in the lane, then storing the copies for every recipient.
    queue: smtp.laneWaitTimeoutMs + smtp.deliveryTimeoutMs,
  };
  const afterData = budgets.data_post + budgets.queue + 2 * HARAKA_MARGIN_MS;
  if (afterData > DATA_TERMINATION_MS) {
    throw new ConfigError(
      `smtp: trust.authentication.timeoutMs + scanner.timeoutMs + lookupTimeoutMs + laneWaitTimeoutMs + deliveryTimeoutMs add up to ${afterData} ms after DATA ` +
        `(with ${HARAKA_MARGIN_MS} ms margin per phase); a sending MTA gives up after ${DATA_TERMINATION_MS} ms (RFC 5321). ` +
        'Lower laneWaitTimeoutMs or deliveryTimeoutMs.',
    );
  }
  return Object.fromEntries(
    Object.entries(budgets).map(([hook, budgetMs]) => [hook, { budgetMs, harakaSeconds: Math.ceil((budgetMs + HARAKA_MARGIN_MS) / 1000) }]),
  ) as Record<KuraHook, HookTimeout>;
}
