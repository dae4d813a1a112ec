import type { KuraConfig } from '@kura/config';
import { type AuthenticateResult, authenticate } from 'mailauth';
import { dnsResolver } from './dns-resolver.js';
import type { HarakaConnection, HarakaTransaction } from './haraka.js';
import { authResults, dmarcPolicies } from './trust-metrics.js';

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
  /** The record's `pct` (0–100) when DMARC failed; absent means 100. */
  pct?: number;
  /** The policy Kura applied: `policy`, or the next lower one when pct sampling left this message out. */
  applied?: string;
  /** True when the message was not among the `pct` percent the policy applies to (RFC 7489 §6.6.4). */
  sampledOut?: boolean;
}

/** A number in [0, 100): a message is in the policy's sample when it is below the record's pct. */
export type PctSampler = () => number;
const randomSample: PctSampler = () => Math.random() * 100;

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
  sample: PctSampler = randomSample,
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
      ? applyPct(verdictsOf(result), authResultsValue(result), sample)
      : {
          verdicts: { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', arc: 'temperror' },
          header: `${config.hostname};\r\n spf=temperror;\r\n dkim=temperror;\r\n dmarc=temperror (${why})`,
        };
  for (const method of ['spf', 'dkim', 'dmarc', 'arc'] as const) authResults.inc({ method, result: outcome.verdicts[method] });
  const { policy, applied } = outcome.verdicts;
  if (outcome.verdicts.dmarc === 'fail') dmarcPolicies.inc({ policy: policy ?? 'none', applied: applied ?? policy ?? 'none' });
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
    pct: dmarc?.status.result === 'fail' && typeof dmarc.pct === 'number' ? dmarc.pct : undefined,
    domain: dmarc?.domain,
  };
}

/** RFC 7489 §6.6.4: a failing message outside the pct sample gets the next lower policy. */
const LOWER: Record<string, string> = { reject: 'quarantine', quarantine: 'none' };

/**
 * Applies the record's `pct` to a DMARC failure: the message is in the sample
 * when `sample()` is below pct (so pct=100, the default, always applies the
 * policy and pct=0 never does). Outside it, the next lower policy is applied
 * and the header's DMARC comment says so.
 */
export function samplePolicy(verdicts: AuthVerdicts, sample: PctSampler): AuthVerdicts {
  const { policy } = verdicts;
  if (verdicts.dmarc !== 'fail' || !policy || !(policy in LOWER)) return { ...verdicts, applied: policy };
  const pct = Math.min(100, Math.max(0, verdicts.pct ?? 100));
  if (pct >= 100 || sample() < pct) return { ...verdicts, applied: policy, sampledOut: false };
  return { ...verdicts, applied: LOWER[policy], sampledOut: true };
}

export function applyPct(verdicts: AuthVerdicts, header: string, sample: PctSampler): Omit<AuthOutcome, 'action'> {
  const judged = samplePolicy(verdicts, sample);
  if (!judged.sampledOut) return { verdicts: judged, header };
  // Inside mailauth's DMARC comment, e.g. "(p=REJECT arc=none; sampled out by pct=0, quarantine applied)".
  const note = `sampled out by pct=${judged.pct}, ${judged.applied} applied`;
  const marked = header.replace(/(dmarc=fail\s+\()([^)]*)\)/, (_, start: string, comment: string) => `${start}${comment}; ${note})`);
  return { verdicts: judged, header: marked === header ? header.replace(/dmarc=fail/, `dmarc=fail (${note})`) : marked };
}

/**
 * DMARC failures under the applied policy: reject is refused (or stored in
 * Junk, per config); quarantine goes to Junk.
 */
export function dmarcAction(verdicts: AuthVerdicts, onReject: KuraConfig['trust']['authentication']['dmarcReject']): AuthAction {
  if (verdicts.dmarc !== 'fail') return 'accept';
  const policy = verdicts.applied ?? verdicts.policy;
  if (policy === 'reject') return onReject;
  if (policy === 'quarantine') return 'junk';
  return 'accept';
}

/** mailauth renders Received-SPF and Authentication-Results; Kura adds only the latter, folded as mailauth folds it. */
function authResultsValue(result: AuthenticateResult): string {
  const marker = 'Authentication-Results: ';
  const at = result.headers.lastIndexOf(marker);
  return result.headers.slice(at + marker.length).replace(/\r\n$/, '');
}
