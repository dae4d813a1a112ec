import type { KuraConfig } from '@kura/config';
import { checkSendRate, isSuppressed, refundSendRate, type SendRateVerdict, type Store } from '@kura/store';
import { smtpError } from './errors.js';

/**
 * The outbound policy at submission time, shared with everything else Kura
 * sends: the per-user and per-domain hourly recipient budgets (Redis, all
 * nodes) and the suppression list of hard-bounced addresses. Only remote
 * recipients count: a local copy never leaves Kura.
 */
export function outboundPolicy(config: KuraConfig, store: Store) {
  const limits = { perUserPerHour: config.outbound.perUserPerHour, perDomainPerHour: config.outbound.perDomainPerHour };
  const refusal = (verdict: Exclude<SendRateVerdict, { allowed: true }>, who: { username: string; domain: string }) => {
    const minutes = Math.max(1, Math.ceil(verdict.retryAfterSeconds / 60));
    const whose =
      verdict.scope === 'user'
        ? `${who.username} (${limits.perUserPerHour} recipients per hour)`
        : `domain ${who.domain} (${limits.perDomainPerHour} recipients per hour)`;
    return smtpError(451, '4.7.1', `Sending limit reached for ${whose}; try again in ${minutes} minutes`);
  };
  return {
    /** MAIL FROM: refuse early when the budget is already spent (charges nothing). */
    async spent(user: { id: string; username: string }, from: string): Promise<Error | undefined> {
      const domain = domainOf(from);
      const verdict = await checkSendRate(store.redis, limits, { user: user.id, domain }, 0);
      return verdict.allowed ? undefined : refusal(verdict, { username: user.username, domain });
    },
    /** End of DATA: charges the message's remote recipients, all or nothing. */
    async charge(user: { id: string; username: string }, from: string, remote: number): Promise<Error | undefined> {
      if (remote === 0) return undefined;
      const domain = domainOf(from);
      const verdict = await checkSendRate(store.redis, limits, { user: user.id, domain }, remote);
      return verdict.allowed ? undefined : refusal(verdict, { username: user.username, domain });
    },
    /** After a charge, the message was not accepted (451): the client's retry will be charged again. */
    async refund(user: { id: string }, from: string, remote: number): Promise<void> {
      await refundSendRate(store.redis, { user: user.id, domain: domainOf(from) }, remote);
    },
    /** RCPT TO (remote): an address that hard-bounced is refused with the receiving server's words. */
    async suppressed(address: string): Promise<Error | undefined> {
      const entry = await isSuppressed(store, address);
      if (!entry) return undefined;
      const until = entry.expires.toISOString().slice(0, 10);
      return smtpError(550, '5.1.1', `Recipient <${address}> is suppressed until ${until} after a hard bounce: ${entry.reason}`);
    },
  };
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export type OutboundPolicy = ReturnType<typeof outboundPolicy>;
