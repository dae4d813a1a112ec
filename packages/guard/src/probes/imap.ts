import { ImapFlow } from 'imapflow';
import { type ClientTls, imapflowTls } from '../client-tls.js';

/** IMAP: (STARTTLS when `secure`,) login, SELECT INBOX and FETCH of the newest message's flags (when there is one). */
export async function probeImap(
  host: string,
  port: number,
  user: string,
  pass: string,
  timeoutMs: number,
  secure?: ClientTls,
): Promise<string> {
  const client = new ImapFlow({
    host,
    port,
    secure: false,
    ...imapflowTls(secure),
    auth: { user, pass },
    logger: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 2,
    disableAutoIdle: true,
  });
  // imapflow reports socket trouble as an event as well as a rejection.
  client.on('error', () => {});
  const deadline = setTimeout(() => client.close(), timeoutMs * 2);
  try {
    await client.connect();
    const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
    if (mailbox.exists > 0) {
      const message = await client.fetchOne('*', { flags: true });
      if (!message) throw new Error('FETCH of the newest message returned nothing');
    }
    await client.logout();
    return `SELECT ok, ${mailbox.exists} messages`;
  } finally {
    clearTimeout(deadline);
    client.close();
  }
}
