import type { KuraConfig } from '@kura/config';
import { lookupRecipient, type Store, TemporaryStoreError, withTimeout } from '@kura/store';
import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { acceptSubmission } from './accept.js';
import type { Login, SubmissionUser } from './auth.js';
import { smtpError, tempFail } from './errors.js';
import { outboundPolicy } from './limits.js';
import { acceptSeconds, messageVerdicts, recipientVerdicts, senderVerdicts } from './metrics.js';
import { checkHeaderSenders, ownsAddress } from './senders.js';

type Done = (err?: Error | null) => void;

/** The recipients of the session's current transaction, split by where they go. */
interface Transaction {
  number: number;
  local: Map<string, string>;
  remote: string[];
}

const transactions = new WeakMap<SMTPServerSession, Transaction>();

function transactionOf(session: SMTPServerSession): Transaction {
  let txn = transactions.get(session);
  if (!txn || txn.number !== session.transaction) {
    txn = { number: session.transaction, local: new Map(), remote: [] };
    transactions.set(session, txn);
  }
  return txn;
}

const userOf = (session: SMTPServerSession) => session.user as SubmissionUser;

/**
 * The SMTP phases of a submission session, each a short function that
 * answers the client: AUTH, MAIL FROM, RCPT TO, DATA. Storage doubt is
 * always a 4xx; only a decision about this user's own input is a 5xx.
 */
export function submissionHandlers(config: KuraConfig, store: Store, login: Login, log: Logger) {
  const lookupMs = config.smtp.lookupTimeoutMs;
  const policy = outboundPolicy(config, store);

  return {
    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, done: (err: Error | null, res?: { user: SubmissionUser }) => void) {
      if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') return done(smtpError(504, '5.5.4', 'Use AUTH PLAIN or AUTH LOGIN'));
      const username = auth.username ?? '';
      login(username, auth.password ?? '', session.remoteAddress, session.id).then(
        (user) => {
          log.info({ session: session.id, ip: session.remoteAddress, user: user.username, method: auth.method }, 'login');
          done(null, { user });
        },
        (err: Error & { responseCode?: number }) => {
          log.warn(
            { session: session.id, ip: session.remoteAddress, username, code: err.responseCode, reason: err.message },
            'login refused',
          );
          done(err);
        },
      );
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, done: Done) {
      const user = userOf(session);
      const from = address.address.toLowerCase();
      const check = async () => {
        if (!(await ownsAddress(store, user.id, from))) {
          senderVerdicts.inc({ result: 'rejected', reason: 'foreign-envelope' });
          log.warn({ session: session.id, user: user.username, from }, 'envelope sender refused');
          const what = from ? `Envelope sender <${from}>` : 'An empty envelope sender';
          return smtpError(550, '5.7.1', `${what} is not an address of ${user.username}; send from one of your own addresses`);
        }
        const spent = await policy.spent(user, from);
        if (spent) {
          senderVerdicts.inc({ result: 'tempfailed', reason: 'send-limit' });
          log.warn({ session: session.id, user: user.username, from, reason: spent.message }, 'send limit reached');
          return spent;
        }
        senderVerdicts.inc({ result: 'accepted', reason: 'own-address' });
        return undefined;
      };
      withTimeout(check(), lookupMs, `sender checks for ${from}`).then(
        (refused) => done(refused),
        (err: Error) => {
          log.error({ session: session.id, err: err.message }, 'sender checks failed');
          done(tempFail('Address lookup'));
        },
      );
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, done: Done) {
      const txn = transactionOf(session);
      const rcpt = address.address.toLowerCase();
      if (txn.local.size + txn.remote.length >= config.submission.maxRecipients) {
        recipientVerdicts.inc({ destination: 'any', result: 'tempfailed', reason: 'too-many' });
        return done(smtpError(452, '4.5.3', `Too many recipients: at most ${config.submission.maxRecipients} per message`));
      }
      const lookup = async () => {
        const found = await lookupRecipient(store, rcpt);
        return { found, suppressed: found.status === 'unknown' ? await policy.suppressed(rcpt) : undefined };
      };
      withTimeout(lookup(), lookupMs, `recipient lookup for ${rcpt}`).then(
        ({ found, suppressed }) => {
          switch (found.status) {
            case 'deliver':
              txn.local.set(rcpt, found.userId.toHexString());
              recipientVerdicts.inc({ destination: 'local', result: 'accepted', reason: 'known' });
              return done();
            case 'disabled':
              recipientVerdicts.inc({ destination: 'local', result: 'rejected', reason: 'disabled' });
              return done(smtpError(550, '5.2.1', `Mailbox disabled: ${rcpt}`));
            case 'over-quota':
              recipientVerdicts.inc({ destination: 'local', result: 'tempfailed', reason: 'over-quota' });
              return done(smtpError(452, '4.2.2', `Mailbox full, try again later: ${rcpt}`));
            case 'unknown':
              if (suppressed) {
                recipientVerdicts.inc({ destination: 'remote', result: 'rejected', reason: 'suppressed' });
                log.info({ session: session.id, rcpt, reason: suppressed.message }, 'suppressed recipient refused');
                return done(suppressed);
              }
              if (!txn.remote.includes(rcpt)) txn.remote.push(rcpt);
              recipientVerdicts.inc({ destination: 'remote', result: 'accepted', reason: 'queued' });
              return done();
            default:
              // Any other kind of address (e.g. one that only forwards): through the queue and Kura's own MX,
              // which knows what to do with it. Never an unanswered RCPT.
              if (!txn.remote.includes(rcpt)) txn.remote.push(rcpt);
              recipientVerdicts.inc({ destination: 'remote', result: 'accepted', reason: 'via-mx' });
              return done();
          }
        },
        (err: Error) => {
          log.error({ session: session.id, rcpt, err: err.message }, 'recipient lookup failed');
          recipientVerdicts.inc({ destination: 'any', result: 'tempfailed', reason: 'store-unavailable' });
          done(tempFail('Recipient lookup'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        // Past the limit the rest is read and dropped: the answer is 552 either way.
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('error', (err) => done(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          messageVerdicts.inc({ result: 'rejected', reason: 'too-big' });
          return done(smtpError(552, '5.3.4', `Message larger than the limit of ${config.smtp.maxMessageBytes} bytes`));
        }
        finish(session, Buffer.concat(chunks)).then(
          (text) => done(null, text),
          (err: Error) => done(err),
        );
      });
    },
  };

  async function finish(session: SMTPServerSession, raw: Buffer): Promise<string> {
    const user = userOf(session);
    const txn = transactionOf(session);
    const queueId = `${session.id}.${session.transaction}`;
    const envelopeFrom = (session.envelope.mailFrom ? session.envelope.mailFrom.address : '').toLowerCase();
    const started = Date.now();
    let charged = false;
    try {
      const header = await withTimeout(checkHeaderSenders(store, user.id, user.username, raw), lookupMs, 'From header check');
      if (!header.ok) {
        senderVerdicts.inc({ result: 'rejected', reason: header.reason });
        messageVerdicts.inc({ result: 'rejected', reason: header.reason });
        log.warn({ session: session.id, queueId, user: user.username, reason: header.reason }, 'message refused');
        throw smtpError(
          550,
          '5.7.1',
          header.reason === 'foreign-from' ? `${header.text}; send from one of your own addresses` : header.text,
        );
      }
      // Charged only for a message that passed every check; all of its remote recipients or none.
      const over = await withTimeout(policy.charge(user, envelopeFrom, txn.remote.length), lookupMs, 'send limit check');
      if (over) {
        messageVerdicts.inc({ result: 'tempfailed', reason: 'send-limit' });
        log.warn(
          { session: session.id, queueId, user: user.username, remote: txn.remote.length, reason: over.message },
          'send limit reached',
        );
        throw over;
      }
      charged = txn.remote.length > 0;
      const result = await acceptSubmission(
        store,
        config,
        {
          userId: user.id,
          username: user.username,
          envelopeFrom,
          local: txn.local,
          remote: txn.remote,
          raw,
          queueId,
          clientIp: session.remoteAddress,
          tlsProtocol: session.tlsOptions ? session.tlsOptions.version : undefined,
        },
        log,
      );
      acceptSeconds.observe((Date.now() - started) / 1000);
      messageVerdicts.inc({ result: 'accepted', reason: txn.remote.length > 0 ? 'queued' : 'stored' });
      log.info(
        { session: session.id, queueId, user: user.username, from: envelopeFrom, bytes: raw.length, ...result, ms: Date.now() - started },
        'message accepted',
      );
      return `Message accepted (${result.stored + result.duplicates} stored, ${result.queued} queued) id=${queueId}`;
    } catch (err) {
      if (charged) {
        // Not accepted after all: the client's retry is charged again, so give this charge back.
        await policy
          .refund(user, envelopeFrom, txn.remote.length)
          .catch((refundErr: Error) =>
            log.warn({ session: session.id, queueId, user: user.username, err: refundErr.message }, 'send budget refund failed'),
          );
      }
      if ((err as { responseCode?: number }).responseCode) throw err;
      const why = err instanceof TemporaryStoreError ? err.reason : 'internal';
      messageVerdicts.inc({ result: 'tempfailed', reason: why === 'internal' ? 'internal' : 'store' });
      log.error({ session: session.id, queueId, user: user.username, err: (err as Error).message }, 'message temp-failed');
      throw tempFail('Mail store');
    }
  }
}
