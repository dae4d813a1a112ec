import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The conversation ran over TLS (STARTTLS). */
  secure: boolean;
  /** The user the client logged in as, if it did. */
  user?: string;
}

/** A reply the sink gives instead of accepting, e.g. { code: 550, message: '5.1.1 no such user' }. */
export interface SinkReply {
  code: number;
  message: string;
}

export interface SinkOptions {
  /** Decides each RCPT TO: undefined accepts, a reply refuses (4xx temporarily, 5xx for good). */
  rcpt?: (address: string) => SinkReply | undefined;
  /** Offer STARTTLS with this certificate. */
  tls?: { key: Buffer; cert: Buffer };
  /** Require AUTH (PLAIN/LOGIN) with these credentials, as a relay does. */
  auth?: { user: string; pass: string };
}

/** A real SMTP server on loopback standing in for "the Internet": it keeps what it receives. */
export async function startSink(onMessage: (message: SunkMessage) => void = () => {}, options: SinkOptions = {}) {
  const received: SunkMessage[] = [];
  const server = new SMTPServer({
    authOptional: !options.auth,
    disabledCommands: [...(options.tls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
    // AUTH over plain text only when the sink offers no TLS at all.
    allowInsecureAuth: !options.tls,
    onAuth(auth, _session, callback) {
      const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
      callback(
        ok ? null : Object.assign(new Error('5.7.8 authentication failed'), { responseCode: 535 }),
        ok ? { user: auth.username } : undefined,
      );
    },
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    logger: false,
    onRcptTo(address, _session, callback) {
      const reply = options.rcpt?.(address.address);
      if (!reply) return callback();
      callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const message = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        };
        received.push(message);
        callback();
        onMessage(message);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
