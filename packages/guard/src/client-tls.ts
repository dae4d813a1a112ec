import fs from 'node:fs';
import { isSecured, type KuraConfig } from '@kura/config';

/** How Kura's own clients (probes, canary, drills) reach TLS listeners: the CA they trust (unset: the system's). */
export interface ClientTls {
  ca?: Buffer;
  /** The name the certificate must carry (the mail hostname), whatever address the connection goes to. */
  servername?: string;
  /** false: encrypt without checking the certificate (only where no profile says which CA to trust). */
  verify?: false;
}

/** TLS for the guard's and the drills' clients in the secured profile; undefined on the plaintext local stack. */
export function clientTls(config: KuraConfig): ClientTls | undefined {
  if (!isSecured(config)) return undefined;
  const ca = config.security.tls.ca;
  return { ...(ca ? { ca: fs.readFileSync(ca) } : {}), servername: config.hostname };
}

/**
 * TLS for the submission probes. Submission never runs without TLS, but the
 * plaintext local profile's throw-away CA belongs to the CLI that made it: there
 * the probe checks that TLS comes up and AUTH follows, not whose certificate it is.
 */
export const submissionTls = (config: KuraConfig): ClientTls => clientTls(config) ?? { verify: false };

/** The public POP3 port clients use: implicit TLS (995) in the secured profile, plaintext otherwise. */
export const pop3Port = (config: KuraConfig): number => (isSecured(config) ? config.ports.pop3s : config.ports.pop3);

/** imapflow options for an IMAP port: STARTTLS required (a missing STARTTLS is an error, not a downgrade). */
export function imapflowTls(secure: ClientTls | undefined): { doSTARTTLS?: boolean; tls?: { ca?: Buffer; servername?: string } } {
  return secure ? { doSTARTTLS: true, tls: { ca: secure.ca, servername: secure.servername } } : {};
}
