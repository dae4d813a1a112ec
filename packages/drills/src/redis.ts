import { currentRedisPrimary, probeImap, probePop3 } from '@kura/guard';
import { loginsAfterRecovery } from './after-recovery.js';
import { DeliveryStream } from './delivery-stream.js';
import { verifyStream } from './mailbox.js';
import type { Drill } from './types.js';
import { until } from './wait.js';

/** The Redis primary dies; recovery is Sentinel's promotion plus IMAP, POP3 and SMTP all working again. */
export const redisDrill: Drill = {
  description: 'the Redis primary dies; Sentinel promotes the replica; IMAP, POP3 and SMTP keep working',
  async run({ config, imap, smtp, frontends, prefix, log }, actions) {
    const before = await currentRedisPrimary(config.redisUrl, 3_000);
    const stream = new DeliveryStream(smtp, { prefix, senders: 2, pauseMs: 100, retryMs: 300 });
    stream.start();
    await until('5 acknowledged messages', 30_000, async () => (stream.acknowledged.length >= 5 ? true : undefined));
    log(`Redis primary is ${before}; killing it`);
    await actions.kill();
    const killedAt = Date.now();
    const promoted = await until('Sentinel promotion', 60_000, async () => {
      const now = await currentRedisPrimary(config.redisUrl, 1_000);
      return now && now !== before ? now : undefined;
    });
    const promotedAt = Date.now();
    log(`Sentinel promoted ${promoted} after ${promotedAt - killedAt} ms`);
    // Every protocol must work again: IMAP login+SELECT+FETCH, POP3 login+STAT, and a fresh SMTP delivery.
    const workingAt = await until('IMAP, POP3 and SMTP after the failover', 60_000, async () => {
      await probeImap(imap.host, imap.port, imap.user, imap.pass, 3_000, imap.tls);
      await probePop3(frontends.host, frontends.pop3, imap.user, imap.pass, 3_000, imap.tls);
      const ackedBefore = stream.acknowledged.filter((m) => (m.acknowledgedAt as number) > promotedAt).length;
      return ackedBefore > 0 ? Date.now() : undefined;
    });
    await actions.duringOutage?.();
    await stream.finish(60_000);
    await actions.restore();
    await actions.afterRestore?.();
    const logins = await loginsAfterRecovery(frontends);
    const counts = await verifyStream(imap, prefix, stream);
    return {
      drill: 'redis',
      recoveryMs: workingAt - killedAt,
      ...counts,
      failuresAfterRecovery: logins.failed,
      loginsAfterRecovery: logins,
      details: { before, promoted, promotionMs: promotedAt - killedAt },
    };
  },
};
