import path from 'node:path';
import type { KuraConfig } from '@kura/config';
import { submissionBin } from '@kura/submission';
import { firstLine } from './probe.js';
import type { ServiceSpec } from './services.js';
import { ensureLocalCertificates, type LocalCertificates } from './tls.js';

/**
 * The certificate the submission ports present: the configured one, or on a
 * local stack without one the throw-away local CA's (<dataDir>/tls, the same
 * the HA profile uses). Submission never runs without TLS: AUTH needs it.
 */
export function submissionCertificates(config: KuraConfig): { cert: string; key: string; ca?: string } {
  const { cert, key, ca } = config.security.tls;
  if (cert && key) return { cert, key, ca };
  const local: LocalCertificates = ensureLocalCertificates(path.join(config.dataDir, 'tls'), config.hostname);
  return local;
}

/** Arguments shared by every submission instance: the resolved config and the certificate. */
export function submissionArgs(config: KuraConfig): string[] {
  const { cert, key } = submissionCertificates(config);
  return [submissionBin, '--resolved-config', config.paths.resolvedConfig, '--cert', cert, '--key', key];
}

/** The local stack's submission service: 587-style STARTTLS and 465-style TLS ports, metrics; up once it greets. */
export function submissionService(config: KuraConfig): ServiceSpec {
  const { host, ports } = config;
  return {
    name: 'submission',
    command: process.execPath,
    args: [...submissionArgs(config), '--metrics-port', String(ports.submissionMetrics)],
    ports: { submission: ports.submission, submissions: ports.submissions, submissionMetrics: ports.submissionMetrics },
    ready: async () => {
      const line = await firstLine(host, ports.submission);
      if (!/^220 /.test(line)) throw new Error(`unexpected greeting on ${host}:${ports.submission}: ${line}`);
    },
  };
}
