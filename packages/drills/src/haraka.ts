import { loginsAfterRecovery } from './after-recovery.js';
import { DeliveryStream, type StreamedMessage } from './delivery-stream.js';
import { verifyStream } from './mailbox.js';
import type { Drill } from './types.js';
import { sleep, until } from './wait.js';

/**
 * Messages a dead instance interrupted (a non-250 reply, then acknowledged after the kill), and the
 * longest time one of them took to be acknowledged; null when no sender was interrupted.
 */
export function interruptedDeliveries(messages: StreamedMessage[], killedAt: number): { interrupted: number; recoveryMs: number | null } {
  const interrupted = messages.filter((m) => m.replies.some((c) => c !== 250) && m.acknowledgedAt && m.acknowledgedAt >= killedAt);
  const recoveryMs = interrupted.length ? Math.max(...interrupted.map((m) => (m.acknowledgedAt as number) - killedAt)) : null;
  return { interrupted: interrupted.length, recoveryMs };
}

/** One Haraka instance dies during a delivery stream; every acknowledged message must arrive once. */
export const harakaDrill: Drill = {
  description: 'one Haraka instance dies during a delivery stream; no acknowledged message is lost',
  async run({ imap, smtp, frontends, prefix, log }, actions) {
    const stream = new DeliveryStream(smtp, { prefix, senders: 3, pauseMs: 50, retryMs: 300 });
    stream.start();
    await until('10 acknowledged messages', 30_000, async () => (stream.acknowledged.length >= 10 ? true : undefined));
    log('delivery stream running; killing one Haraka instance');
    await actions.kill();
    const killedAt = Date.now();
    await actions.duringOutage?.();
    // Keep the stream going a while on the surviving instance.
    await sleep(Math.max(0, 3_000 - (Date.now() - killedAt)));
    await stream.finish(60_000);
    const { interrupted, recoveryMs } = interruptedDeliveries(stream.messages, killedAt);
    await actions.restore();
    await actions.afterRestore?.();
    const logins = await loginsAfterRecovery(frontends);
    const counts = await verifyStream(imap, prefix, stream);
    return {
      drill: 'haraka',
      recoveryMs,
      ...counts,
      failuresAfterRecovery: logins.failed,
      loginsAfterRecovery: logins,
      details: { retried: interrupted, sent: stream.messages.length },
    };
  },
};
