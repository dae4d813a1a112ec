import { type AuthOutcome, authenticateMessage } from './authentication.js';
import { codes, dsn } from './codes.js';
import { checkBlocklists } from './dnsbl.js';
import type { HarakaConnection, HarakaTransaction, Next } from './haraka.js';
import { JUNK } from './loops.js';
import { messageBytes } from './message-bytes.js';
import { messageVerdicts, scanVerdicts } from './metrics.js';
import { ACCEPTED } from './recipients.js';
import { type SpamVerdict, scanWithRspamd, symbolList } from './rspamd.js';
import { inboundConfig } from './store-handle.js';
import { stripForgedHeaders } from './strip-headers.js';

/** The authentication outcome (AuthOutcome), kept for sealing forwards with the same verdicts. */
export const AUTH = 'kura.auth';
/** rspamd's action for the message, when rspamd judged it (WildDuck's spam level weighs it). */
export const SCAN_ACTION = 'kura.scan-action';

type Client = HarakaConnection & { hello?: { host?: string | null } };
type Log = (plugin: unknown, message: string, fields?: Record<string, unknown>) => void;

/**
 * CONNECT: a client IP listed on a configured DNS blocklist is refused
 * (554 5.7.1). A blocklist that cannot be asked lets the client in.
 */
export async function checkClient(plugin: unknown, next: Next, connection: HarakaConnection) {
  const listed = await checkBlocklists(inboundConfig(), connection.remote.ip);
  if (!listed) return next();
  const answer = listed.listing.result === 'listed' ? listed.listing.answer : '';
  (connection.loginfo as Log)(plugin, 'client listed on a DNS blocklist', { ip: connection.remote.ip, zone: listed.zone, answer });
  messageVerdicts.inc({ result: 'rejected', reason: 'blocklist' });
  return next(codes.DENY, dsn.create(554, `Client address ${connection.remote.ip} is listed on ${listed.zone}`, 7, 1));
}

/** Start of DATA_POST: drop forged X-Kura-* and Authentication-Results claiming Kura's authserv-id. */
export function stripHeaders(plugin: unknown, connection: HarakaConnection): void {
  const txn = connection.transaction;
  if (!txn) return;
  const removed = stripForgedHeaders(txn, inboundConfig().hostname);
  if (removed.length === 0) return;
  txn.results.add(plugin, { msg: `stripped:${removed.join(',')}` });
  (connection.logwarn as Log)(plugin, 'removed forged header fields', { fields: removed.join(',') });
}

/**
 * After Kura's size and loop checks: sender authentication, then rspamd.
 * Each verdict is recorded (results, log line, metrics) and written into the
 * message (Authentication-Results, X-Kura-Scan); a DMARC reject or a score
 * above `rejectScore` is refused with 550 5.7.1, junk is marked for the Junk
 * mailbox. Nothing here ever answers 5xx because a checker failed.
 */
export async function judgeMessage(plugin: unknown, next: Next, connection: Client) {
  const txn = connection.transaction;
  if (!txn) return next();
  const config = inboundConfig();
  const raw = await messageBytes(txn);

  const auth = config.trust.authentication.enabled ? await authenticateMessage(config, connection, txn, raw) : undefined;
  const scan = rspamdActive() ? await scanWithRspamd(config, raw, envelopeOf(connection, txn)) : undefined;
  record(plugin, connection, txn, auth, scan);

  if (auth?.action === 'reject') {
    messageVerdicts.inc({ result: 'rejected', reason: 'dmarc' });
    return next(codes.DENY, dsn.create(550, `DMARC policy of ${auth.verdicts.domain} rejects this unauthenticated message`, 7, 1));
  }
  if (scan?.verdict === 'reject') {
    messageVerdicts.inc({ result: 'rejected', reason: 'spam' });
    return next(codes.DENY, dsn.create(550, 'Message refused as spam', 7, 1));
  }
  // Only an unavailable scanner temp-fails; a message too large to scan never would pass later either.
  if (scan?.verdict === 'skipped' && !scan.oversize && config.smtp.scanner.onScannerUnavailable === 'tempfail') {
    messageVerdicts.inc({ result: 'tempfailed', reason: 'scanner-unavailable' });
    return next(codes.DENYSOFT, dsn.create(451, 'Content scanner unavailable, try again later', 7, 1));
  }
  if (auth) txn.add_leading_header('Authentication-Results', auth.header);
  if (scan)
    txn.add_leading_header('X-Kura-Scan', scan.verdict === 'skipped' ? `skipped (${scan.detail})` : `${scan.verdict} (${scan.detail})`);
  // A scan's verdict is recorded either way: auto-replies go only to mail a scanner found clean.
  if (scan) txn.notes[JUNK] = scan.verdict === 'junk';
  if (auth?.action === 'junk') txn.notes[JUNK] = true;
  if (auth) txn.notes[AUTH] = auth;
  if (scan && scan.verdict !== 'skipped') txn.notes[SCAN_ACTION] = scan.report.action;
  next();
}

/** rspamd scans unless it is switched off or a scanner command replaces it (see smtp.scanner). */
function rspamdActive(): boolean {
  const config = inboundConfig();
  return config.trust.rspamd.enabled && !config.smtp.scanner.command;
}

function envelopeOf(connection: Client, txn: HarakaTransaction) {
  return {
    ip: connection.remote.ip,
    helo: connection.hello?.host ?? undefined,
    from: txn.mail_from.address,
    recipients: Object.keys((txn.notes[ACCEPTED] ?? {}) as Record<string, string>),
    queueId: txn.uuid,
  };
}

function record(plugin: unknown, connection: Client, txn: HarakaTransaction, auth?: AuthOutcome, scan?: SpamVerdict) {
  const fields: Record<string, unknown> = {};
  if (auth) {
    const { spf, dkim, dmarc, arc, policy, applied, sampledOut } = auth.verdicts;
    Object.assign(fields, { spf, dkim, dmarc, arc, dmarc_policy: policy ?? '', auth_action: auth.action });
    // A policy the pct tag sampled out is named with the one applied instead, so the lighter action is explained.
    if (sampledOut) Object.assign(fields, { dmarc_pct: auth.verdicts.pct, dmarc_applied: applied, dmarc_sampled_out: true });
    const sampling = sampledOut ? { msg: `dmarc:sampled-out:pct=${auth.verdicts.pct}:${policy}->${applied}` } : {};
    txn.results.add(plugin, { [auth.action === 'reject' ? 'fail' : 'pass']: `auth:${auth.action}`, spf, dkim, dmarc, arc, ...sampling });
  }
  if (scan) {
    scanVerdicts.inc({ verdict: scan.verdict });
    if (scan.verdict === 'skipped') {
      fields.scan = 'skipped';
      fields.scan_detail = scan.detail;
      txn.results.add(plugin, { msg: `scan:skipped:${scan.detail}` });
    } else {
      const symbols = symbolList(scan.report);
      Object.assign(fields, { scan: scan.verdict, score: scan.report.score, action: scan.report.action, symbols });
      const key = scan.verdict === 'reject' ? 'fail' : 'pass';
      txn.results.add(plugin, { [key]: `scan:${scan.verdict}`, score: scan.report.score, action: scan.report.action, symbols });
    }
  }
  (connection.loginfo as Log)(plugin, 'message verdicts', fields);
}
