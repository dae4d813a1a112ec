import { probeImap } from '@kura/guard';
import { loginsAfterRecovery } from './after-recovery.js';
import { DeliveryStream } from './delivery-stream.js';
import { imapLoginOutcome } from './imap-login-outcome.js';
import { verifyStream } from './mailbox.js';
import type { Drill } from './types.js';
import { until } from './wait.js';

/** How many times each reply code occurs. */
export function countBy(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of codes) out[String(code)] = (out[String(code)] ?? 0) + 1;
  return out;
}

/**
 * The data tier dies and comes back. Everything depends on it, so "recovery" is
 * measured from its return, not from the kill.
 */
export const datatierDrill: Drill = {
  description: 'the data tier dies and comes back; SMTP answers 4xx meanwhile, IMAP fails fast, nothing acknowledged is lost',
  async run({ imap, smtp, frontends, prefix, log }, actions) {
    const stream = new DeliveryStream(smtp, { prefix, senders: 2, pauseMs: 100, retryMs: 500 });
    stream.start();
    await until('5 acknowledged messages', 30_000, async () => (stream.acknowledged.length >= 5 ? true : undefined));
    log('delivery stream running; killing the data tier');
    await actions.kill();
    const killedAt = Date.now();
    // Right after the crash WildDuck itself answers; once HAProxy has seen every instance fail its check, HAProxy answers.
    const imapAtOnce = await imapLoginOutcome(imap);
    await actions.duringOutage?.();
    const imapLater = await imapLoginOutcome(imap);
    const outageReplies = stream.messages.flatMap((m) => m.replies).filter((c) => c !== 250);
    log('restoring the data tier');
    await actions.restore();
    const restoredAt = Date.now();
    // Recovered once mail is acknowledged again and an IMAP client can log in and read (HAProxy has the instances back).
    const resumedAt = await until('an acknowledged delivery and an IMAP login after the restore', 120_000, async () => {
      if (!stream.acknowledged.some((m) => (m.acknowledgedAt as number) > restoredAt)) return undefined;
      await probeImap(imap.host, imap.port, imap.user, imap.pass, 3_000, imap.tls);
      return Date.now();
    });
    await stream.finish(120_000);
    await actions.afterRestore?.();
    const logins = await loginsAfterRecovery(frontends);
    const counts = await verifyStream(imap, prefix, stream);
    return {
      drill: 'datatier',
      recoveryMs: resumedAt - restoredAt,
      ...counts,
      failuresAfterRecovery: logins.failed,
      loginsAfterRecovery: logins,
      details: {
        outageMs: restoredAt - killedAt,
        smtpRepliesDuringOutage: countBy(outageReplies),
        imapDuringOutage: [imapAtOnce, imapLater],
      },
    };
  },
};
