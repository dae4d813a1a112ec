import http from 'node:http';
import https from 'node:https';
import { type KuraConfig, rspamdUrl } from '@kura/config';
import { scanWithinBudget } from './scanner.js';
import { scanSeconds, spamScores } from './trust-metrics.js';

/** rspamd's answer to /checkv2, reduced to what Kura records and decides on. */
export interface RspamdReport {
  score: number;
  requiredScore: number;
  action: string;
  /** Symbol → score, e.g. { GTUBE: 0, MISSING_DATE: 1 }. */
  symbols: Record<string, number>;
}

export type SpamVerdict =
  | { verdict: 'clean' | 'junk' | 'reject'; report: RspamdReport; detail: string }
  | { verdict: 'skipped'; detail: string; oversize?: boolean };

/** The envelope facts rspamd scores alongside the content. */
export interface ScanEnvelope {
  ip: string;
  helo?: string;
  from: string;
  recipients: string[];
  queueId: string;
}

/** rspamd actions that mean "this is spam" whatever the score thresholds say. */
const JUNK_ACTIONS = new Set(['reject', 'add header', 'rewrite subject']);

/**
 * Asks rspamd (HTTP API, /checkv2) about one message within Kura's scan
 * budget and concurrency cap. Unreachable, slow or confused rspamd yields
 * "skipped": the message goes on unscanned and the reason is recorded.
 */
export async function scanWithRspamd(config: KuraConfig, raw: Buffer, envelope: ScanEnvelope): Promise<SpamVerdict> {
  const { maxBytes } = config.trust.rspamd;
  if (raw.length > maxBytes) return { verdict: 'skipped', detail: `larger than ${maxBytes} bytes`, oversize: true };
  const started = Date.now();
  const outcome = await scanWithinBudget(config.smtp.scanner, (signal) => check(config, raw, envelope, signal));
  if (outcome.verdict === 'skipped') return outcome;
  scanSeconds.observe((Date.now() - started) / 1000);
  spamScores.observe(outcome.report.score);
  return outcome;
}

async function check(config: KuraConfig, raw: Buffer, envelope: ScanEnvelope, signal: AbortSignal): Promise<SpamVerdict> {
  // One Rcpt line per recipient, as rspamd's protocol asks (fetch would join them into one).
  const headers: http.OutgoingHttpHeaders = {
    IP: envelope.ip,
    'Queue-Id': envelope.queueId,
    From: envelope.from || '<>',
    Rcpt: envelope.recipients,
  };
  if (envelope.helo) headers.Helo = envelope.helo;
  let body: unknown;
  try {
    const response = await post(new URL('/checkv2', rspamdUrl(config)), raw, headers, signal);
    if (response.status !== 200) return { verdict: 'skipped', detail: `rspamd answered HTTP ${response.status}` };
    body = JSON.parse(response.body);
  } catch (err) {
    if (signal.aborted) return { verdict: 'skipped', detail: 'budget expired' };
    const { code, message } = err as NodeJS.ErrnoException;
    return { verdict: 'skipped', detail: `rspamd unreachable: ${code ?? message}` };
  }
  const report = parseReport(body);
  if (!report) return { verdict: 'skipped', detail: 'rspamd sent no score' };
  return judge(report, config.trust.rspamd);
}

function post(url: URL, raw: Buffer, headers: http.OutgoingHttpHeaders, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': raw.length }, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(raw);
  });
}

export function parseReport(body: unknown): RspamdReport | undefined {
  const b = body as { score?: unknown; required_score?: unknown; action?: unknown; symbols?: Record<string, { score?: number }> };
  if (typeof b?.score !== 'number' || typeof b.action !== 'string') return undefined;
  const symbols: Record<string, number> = {};
  for (const [name, symbol] of Object.entries(b.symbols ?? {})) symbols[name] = Number(symbol?.score ?? 0);
  return { score: b.score, requiredScore: Number(b.required_score ?? 0), action: b.action, symbols };
}

/** Kura's thresholds decide: refuse at rejectScore, Junk at junkScore or on rspamd's spam actions. */
export function judge(report: RspamdReport, limits: KuraConfig['trust']['rspamd']): SpamVerdict {
  const detail = `rspamd score=${report.score.toFixed(2)} action="${report.action}"`;
  if (limits.rejectScore !== null && report.score >= limits.rejectScore) return { verdict: 'reject', report, detail };
  if (report.score >= limits.junkScore || JUNK_ACTIONS.has(report.action)) return { verdict: 'junk', report, detail };
  return { verdict: 'clean', report, detail };
}

/** Symbols with their scores, highest first, for results and logs. */
export function symbolList(report: RspamdReport): string {
  return Object.entries(report.symbols)
    .sort((a, b) => b[1] - a[1])
    .map(([name, score]) => `${name}(${score.toFixed(2)})`)
    .join(',');
}
