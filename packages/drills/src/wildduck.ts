import { loginsAfterRecovery } from './after-recovery.js';
import { ImapLoad } from './imap-load.js';
import type { Drill } from './types.js';

const CLIENTS = 6;

/** One WildDuck instance dies under IMAP load; recovery is every running client working again. */
export const wildduckDrill: Drill = {
  description: 'one WildDuck instance dies under IMAP load; clients reconnect through HAProxy',
  async run({ imap, frontends, log }, actions) {
    const load = new ImapLoad(imap, CLIENTS);
    load.start();
    try {
      await load.allWorkingSince(Date.now(), 20_000);
      log(`${CLIENTS} IMAP clients working; killing one WildDuck instance`);
      await actions.kill();
      const killedAt = Date.now();
      const recoveredAt = await load.allWorkingSince(killedAt, 30_000);
      log(`every IMAP client works again after ${recoveredAt - killedAt} ms`);
      await actions.duringOutage?.();
      // Recovery here is service through the surviving instance: fresh sessions must all work while the other is down.
      const logins = await loginsAfterRecovery(frontends);
      const after = load.failuresSince(recoveredAt + 1);
      const broken = load.failures.filter((f) => f.at >= killedAt && f.at <= recoveredAt).length;
      await actions.restore();
      await actions.afterRestore?.();
      return {
        drill: 'wildduck',
        recoveryMs: recoveredAt - killedAt,
        // This drill sends no mail: its message figures are unknown, never a made-up zero.
        messagesAcknowledged: null,
        messagesLost: null,
        messagesDuplicated: null,
        permanentFailures: null,
        failuresAfterRecovery: after.length + logins.failed,
        loginsAfterRecovery: logins,
        details: { clients: CLIENTS, sessionsBroken: broken, logins: load.logins, failuresAfter: after },
      };
    } finally {
      await load.stop();
    }
  },
};
