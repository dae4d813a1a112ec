import type { KuraConfig } from '@kura/config';
import { ensureAccount } from '../accounts.js';
import { clientTls, pop3Port } from '../client-tls.js';
import { LineConnection } from '../net-lines.js';
import { probeImap } from '../probes/imap.js';
import { probePop3 } from '../probes/pop3.js';
import { currentRedisPrimary } from '../probes/redis.js';
import { type Frontends, type LoginCheck, loginsAfterRecovery } from './after-recovery.js';
import { DeliveryStream } from './delivery-stream.js';
import { type ImapEndpoint, ImapLoad } from './imap-load.js';
import { countSubjects } from './mailbox.js';

export const DRILLS = {
  wildduck: 'one WildDuck instance dies under IMAP load; clients reconnect through HAProxy',
  haraka: 'one Haraka instance dies during a delivery stream; no acknowledged message is lost',
  redis: 'the Redis primary dies; Sentinel promotes the replica; IMAP, POP3 and SMTP keep working',
  datatier: 'the data tier dies and comes back; SMTP answers 4xx meanwhile, IMAP fails fast, nothing acknowledged is lost',
} as const;

export type DrillName = keyof typeof DRILLS;

/** How a drill breaks and repairs the deployment (kill -9 locally; configured commands in production). */
export interface DrillActions {
  kill(): Promise<void>;
  restore(): Promise<void>;
  /** Runs while the component is down (the tests check the status page here). */
  duringOutage?(): Promise<void>;
  /** Runs after the restore (the tests wait for the status page to clear). */
  afterRestore?(): Promise<void>;
  log?(line: string): void;
}

export interface DrillResult {
  drill: DrillName;
  /**
   * Kill (or restore, for the data tier) until the service worked again for every client, in ms.
   * Null when no client was interrupted, so there was nothing to time (the Haraka drill when every
   * sender happened to be between messages).
   */
  recoveryMs: number | null;
  /** Message figures are null (unknown) for a drill that runs no delivery stream: never a made-up zero. */
  messagesAcknowledged: number | null;
  messagesLost: number | null;
  messagesDuplicated: number | null;
  /** 5xx answers (would be bounces); must be zero. Null when the drill sends no mail. */
  permanentFailures: number | null;
  /**
   * Fresh IMAP, POP3 and SMTP sessions (and, for the WildDuck drill, running IMAP
   * sessions) that failed after recovery, measured by every drill; must be zero.
   */
  failuresAfterRecovery: number;
  /** The fresh sessions behind `failuresAfterRecovery`. */
  loginsAfterRecovery: LoginCheck;
  details: Record<string, unknown>;
}

export const DRILL_USER = 'kura-drill';

/** The account drills deliver to and log in as (kept apart from the canary, whose mailbox the guard empties). */
export function drillAccount(config: KuraConfig) {
  return { user: DRILL_USER, pass: config.guard.canary.password, address: `${DRILL_USER}@${config.demo.domain}` };
}

export async function ensureDrillAccount(config: KuraConfig): Promise<void> {
  const { user, pass, address } = drillAccount(config);
  await ensureAccount(config, { user, pass, address, name: 'Kura failover drills' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export async function runDrill(name: DrillName, config: KuraConfig, actions: DrillActions): Promise<DrillResult> {
  await ensureDrillAccount(config);
  const account = drillAccount(config);
  const front = config.ha.haproxy.host ?? config.host;
  const imap: ImapEndpoint = { host: front, port: config.ports.imap, user: account.user, pass: account.pass, tls: clientTls(config) };
  const smtp = { host: front, port: config.ports.smtp, to: account.address, hostname: config.hostname };
  const frontends: Frontends = {
    host: front,
    imap: config.ports.imap,
    pop3: pop3Port(config),
    smtp: config.ports.smtp,
    ...account,
    tls: imap.tls,
  };
  const log = actions.log ?? (() => {});
  const prefix = `drill-${name}-${Date.now().toString(36)}`;

  const verify = async (stream: DeliveryStream) => {
    const counts = await countSubjects(imap, prefix);
    const acked = stream.acknowledged;
    return {
      messagesAcknowledged: acked.length,
      messagesLost: acked.filter((m) => !counts.has(m.subject)).length,
      messagesDuplicated: acked.filter((m) => (counts.get(m.subject) ?? 0) > 1).length,
      permanentFailures: stream.rejections.length,
    };
  };

  if (name === 'wildduck') {
    const load = new ImapLoad(imap, 6);
    load.start();
    try {
      await load.allWorkingSince(Date.now(), 20_000);
      log('6 IMAP clients working; killing one WildDuck instance');
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
        drill: name,
        recoveryMs: recoveredAt - killedAt,
        messagesAcknowledged: null,
        messagesLost: null,
        messagesDuplicated: null,
        permanentFailures: null,
        failuresAfterRecovery: after.length + logins.failed,
        loginsAfterRecovery: logins,
        details: { clients: 6, sessionsBroken: broken, logins: load.logins, failuresAfter: after },
      };
    } finally {
      await load.stop();
    }
  }

  if (name === 'haraka') {
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
    const interrupted = stream.messages.filter((m) => m.replies.some((c) => c !== 250) && m.acknowledgedAt && m.acknowledgedAt >= killedAt);
    const recoveryMs = interrupted.length ? Math.max(...interrupted.map((m) => (m.acknowledgedAt as number) - killedAt)) : null;
    await actions.restore();
    await actions.afterRestore?.();
    const logins = await loginsAfterRecovery(frontends);
    const counts = await verify(stream);
    return {
      drill: name,
      recoveryMs,
      ...counts,
      failuresAfterRecovery: logins.failed,
      loginsAfterRecovery: logins,
      details: { retried: interrupted.length, sent: stream.messages.length },
    };
  }

  if (name === 'redis') {
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
      await probePop3(front, pop3Port(config), imap.user, imap.pass, 3_000, imap.tls);
      const ackedBefore = stream.acknowledged.filter((m) => (m.acknowledgedAt as number) > promotedAt).length;
      return ackedBefore > 0 ? Date.now() : undefined;
    });
    await actions.duringOutage?.();
    await stream.finish(60_000);
    await actions.restore();
    await actions.afterRestore?.();
    const logins = await loginsAfterRecovery(frontends);
    const counts = await verify(stream);
    return {
      drill: name,
      recoveryMs: workingAt - killedAt,
      ...counts,
      failuresAfterRecovery: logins.failed,
      loginsAfterRecovery: logins,
      details: { before, promoted, promotionMs: promotedAt - killedAt },
    };
  }

  // The data tier: everything depends on it, so "recovery" is measured from its return.
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
  const counts = await verify(stream);
  return {
    drill: name,
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
}

function countBy(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of codes) out[String(code)] = (out[String(code)] ?? 0) + 1;
  return out;
}

/** What an IMAP login answers while the data tier is down, and how fast (raw protocol, so NO and BYE are visible). */
export async function imapLoginOutcome(imap: ImapEndpoint): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  let conn: LineConnection | undefined;
  try {
    conn = await LineConnection.connect(imap.host, imap.port, 5_000);
    const greeting = await conn.line(10_000);
    if (!greeting.startsWith('* OK')) return { answer: greeting.slice(0, 80), ms: Date.now() - started };
    if (imap.tls) {
      conn.send('A0 STARTTLS\r\n');
      const ok = await conn.line(10_000);
      if (!ok.startsWith('A0 OK')) return { answer: ok.slice(0, 120), ms: Date.now() - started };
      await conn.startTls(imap.host, imap.tls, 10_000);
    }
    conn.send(`A1 LOGIN ${imap.user} "${imap.pass}"\r\n`);
    for (;;) {
      const line = await conn.line(30_000);
      if (line.startsWith('A1 ') || line.startsWith('* BYE')) return { answer: line.slice(0, 120), ms: Date.now() - started };
    }
  } catch (err) {
    return { answer: `connection: ${(err as Error).message}`, ms: Date.now() - started };
  } finally {
    conn?.close();
  }
}
