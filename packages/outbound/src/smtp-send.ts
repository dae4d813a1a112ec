import { createRequire } from 'node:module';
import { isIP, type Socket } from 'node:net';

const require = createRequire(import.meta.url);

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}
interface SmtpConnection {
  connect(callback: (err?: SmtpError) => void): void;
  login(auth: { user: string; pass: string }, callback: (err?: SmtpError) => void): void;
  send(
    envelope: { from: string; to: string[] },
    message: Buffer,
    callback: (
      err: SmtpError | null,
      info?: { accepted: string[]; rejected: string[]; rejectedErrors?: SmtpError[]; response?: string },
    ) => void,
  ): void;
  quit(): void;
  close(): void;
  on(event: 'error', listener: (err: SmtpError) => void): void;
  secure: boolean;
}
const SMTPConnection: new (options: Record<string, unknown>) => SmtpConnection = require('nodemailer/lib/smtp-connection');

/** What happened to one recipient in one attempt. */
export interface RecipientOutcome {
  address: string;
  result: 'delivered' | 'deferred' | 'failed';
  /** The SMTP reply code, 0 when there was none (connection, DNS, TLS trouble). */
  code: number;
  message: string;
  remoteHost?: string;
}

/** Where one SMTP conversation goes: an already connected socket to an MX, or a relay to connect to. */
export type SmtpPeer =
  | { kind: 'mx'; socket: Socket; hostname: string }
  | {
      kind: 'relay';
      host: string;
      port: number;
      tls: 'opportunistic' | 'starttls' | 'tls' | 'none';
      /** Extra CA certificates (PEM) the relay's certificate may chain to. */
      ca?: string;
      auth?: { user: string; pass: string };
    };

export interface SendOptions {
  /** The name this node greets with (EHLO). */
  hostname: string;
  timeoutMs: number;
}

/**
 * One SMTP transaction for a set of recipients, with the verdict for each:
 * delivered, refused for good (5xx), or to be tried again (4xx, connection
 * trouble). STARTTLS is used whenever the peer offers it; an MX's certificate
 * is not checked (opportunistic TLS, RFC 7435), a relay's is unless it is `none`.
 */
export async function sendSmtp(peer: SmtpPeer, envelope: { from: string; to: string[] }, raw: Buffer, options: SendOptions) {
  const remoteHost = peer.kind === 'mx' ? peer.hostname : peer.host;
  const connection = new SMTPConnection({
    ...(peer.kind === 'mx'
      ? {
          connection: peer.socket,
          host: peer.hostname,
          secure: false,
          opportunisticTLS: true,
          tls: { rejectUnauthorized: false, servername: peer.hostname },
        }
      : {
          host: peer.host,
          port: peer.port,
          secure: peer.tls === 'tls',
          requireTLS: peer.tls === 'starttls',
          ignoreTLS: peer.tls === 'none',
          opportunisticTLS: peer.tls === 'opportunistic',
          // SNI takes names only (RFC 6066); an IP address is checked against the certificate's IP SANs.
          tls: { ...(isIP(peer.host) ? {} : { servername: peer.host }), ...(peer.ca ? { ca: peer.ca } : {}) },
        }),
    name: options.hostname,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  const all = (result: RecipientOutcome['result'], err: SmtpError): RecipientOutcome[] =>
    envelope.to.map((address) => ({ address, result, code: err.responseCode ?? 0, message: describe(err), remoteHost }));
  // A socket error after the reply was read must not crash the process.
  connection.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
    if (peer.kind === 'relay' && peer.auth) {
      const auth = peer.auth;
      await new Promise<void>((resolve, reject) => connection.login(auth, (err) => (err ? reject(err) : resolve())));
    }
    const info = await new Promise<{ accepted: string[]; rejectedErrors?: SmtpError[] }>((resolve, reject) =>
      connection.send(envelope, raw, (err, result) => (err || !result ? reject(err ?? new Error('no reply')) : resolve(result))),
    );
    connection.quit();
    const refused = new Map((info.rejectedErrors ?? []).map((err) => [err.recipient ?? '', err]));
    return envelope.to.map((address): RecipientOutcome => {
      const err = refused.get(address);
      if (!err) return { address, result: 'delivered', code: 250, message: 'accepted', remoteHost };
      return { address, result: verdict(err), code: err.responseCode ?? 0, message: describe(err), remoteHost };
    });
  } catch (caught) {
    connection.close();
    const err = caught as SmtpError;
    if (err.rejectedErrors?.length) {
      // Every recipient refused at RCPT: each with its own reply.
      const byRecipient = new Map(err.rejectedErrors.map((e) => [e.recipient ?? '', e]));
      return envelope.to.map((address): RecipientOutcome => {
        const own = byRecipient.get(address) ?? err;
        return { address, result: verdict(own), code: own.responseCode ?? 0, message: describe(own), remoteHost };
      });
    }
    return all(verdict(err), err);
  }
}

/**
 * 5xx is final; 4xx, timeouts, TLS and connection trouble are worth another try,
 * and so is a relay refusing Kura's own login (a configuration fault, not the recipient's).
 */
function verdict(err: SmtpError): 'failed' | 'deferred' {
  if (err.code === 'EAUTH') return 'deferred';
  return (err.responseCode ?? 0) >= 500 ? 'failed' : 'deferred';
}

function describe(err: SmtpError): string {
  return (err.response ?? err.message).replace(/\s+/g, ' ').trim().slice(0, 500);
}
