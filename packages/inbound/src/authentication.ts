import type { KuraConfig } from '@kura/config';
import { type AuthenticateResult, authenticate } from 'mailauth';
import { dnsResolver } from './dns-resolver.js';
import type { HarakaConnection, HarakaTransaction } from './haraka.js';
import { authResults } from './trust-metrics.js';

/** The verdict of each method, as written in Authentication-Results (RFC 8601). */
export interface AuthVerdicts {
  spf: string;
  dkim: string;
  dmarc: string;
  arc: string;
  /** The DMARC policy of the From domain when DMARC failed (reject, quarantine, none). */
  policy?: string;
  /** The From domain DMARC judged. */
  domain?: string;
}

/** What delivery does with the message: store as usual, store in Junk, or refuse (550 5.7.1). */
export type AuthAction = 'accept' | 'junk' | 'reject';

export interface AuthOutcome {
  verdicts: AuthVerdicts;
  action: AuthAction;
  /** The value of the one Authentication-Results header Kura adds (authserv-id = hostname). */
  header: string;
}

type Client = HarakaConnection & { hello?: { host?: string | null } };

/**
 * SPF (client IP, HELO, envelope sender), DKIM, ARC and DMARC for one message
 * through mailauth, with Kura's resolver. DNS trouble yields `temperror`
 * verdicts, never an exception: a message is never refused because a DNS
 * server failed.
 */
export async function authenticateMessage(
  config: KuraConfig,
  connection: Client,
  txn: HarakaTransaction,
  raw: Buffer,
): Promise<AuthOutcome> {
  const { timeoutMs, dmarcReject } = config.trust.authentication;
  let timer: NodeJS.Timeout | undefined;
  // A DNS server that answers slowly to every one of SPF's ten lookups must not hold the message: the budget decides.
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const checks = authenticate(raw, {
    ip: connection.remote.ip,
    helo: connection.hello?.host ?? undefined,
    sender: txn.mail_from.address,
    mta: config.hostname,
    resolver: dnsResolver(config),
    disableBimi: true,
  });
  // A message mailauth cannot judge at all is stored with temperror, not temp-failed forever.
  const failed = checks.catch((err: Error) => err);
  const result = await Promise.race([failed, expired]).finally(() => clearTimeout(timer));
  const why = result instanceof Error ? `checks failed: ${result.message.replace(/[()\r\n]/g, ' ')}` : `no verdict within ${timeoutMs} ms`;
  const outcome =
    result && !(result instanceof Error)
      ? { verdicts: verdictsOf(result), header: authResultsValue(result) }
      : {
          verdicts: { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', arc: 'temperror' },
          header: `${config.hostname};\r\n spf=temperror;\r\n dkim=temperror;\r\n dmarc=temperror (${why})`,
        };
  for (const method of ['spf', 'dkim', 'dmarc', 'arc'] as const) authResults.inc({ method, result: outcome.verdicts[method] });
  return { ...outcome, action: dmarcAction(outcome.verdicts, dmarcReject) };
}

export function verdictsOf(result: AuthenticateResult): AuthVerdicts {
  const dkim = result.dkim.results ?? [];
  const dmarc = result.dmarc || undefined;
  return {
    spf: result.spf ? result.spf.status.result : 'none',
    // Several signatures: one passing signature is enough; otherwise the first one's verdict.
    dkim: dkim.find((r) => r.status.result === 'pass')?.status.result ?? dkim[0]?.status.result ?? 'none',
    dmarc: dmarc?.status.result ?? 'none',
    arc: result.arc ? result.arc.status.result : 'none',
    policy: dmarc?.status.result === 'fail' ? dmarc.policy : undefined,
    domain: dmarc?.domain,
  };
}

/** DMARC failures under p=reject are refused (or stored in Junk, per config); p=quarantine goes to Junk. */
export function dmarcAction(verdicts: AuthVerdicts, onReject: KuraConfig['trust']['authentication']['dmarcReject']): AuthAction {
  if (verdicts.dmarc !== 'fail') return 'accept';
  if (verdicts.policy === 'reject') return onReject;
  if (verdicts.policy === 'quarantine') return 'junk';
  return 'accept';
}

/** mailauth renders Received-SPF and Authentication-Results; Kura adds only the latter, folded as mailauth folds it. */
function authResultsValue(result: AuthenticateResult): string {
  const marker = 'Authentication-Results: ';
  const at = result.headers.lastIndexOf(marker);
  return result.headers.slice(at + marker.length).replace(/\r\n$/, '');
}
