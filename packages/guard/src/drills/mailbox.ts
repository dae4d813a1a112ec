import { ImapFlow } from 'imapflow';
import { imapflowTls } from '../client-tls.js';
import type { ImapEndpoint } from './imap-load.js';

/** How many times each subject starting with `prefix` is in INBOX. */
export async function countSubjects(endpoint: ImapEndpoint, prefix: string): Promise<Map<string, number>> {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: false,
    ...imapflowTls(endpoint.tls),
    auth: { user: endpoint.user, pass: endpoint.pass },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    const counts = new Map<string, number>();
    const box = await client.mailboxOpen('INBOX', { readOnly: true });
    if (box.exists === 0) return counts;
    for await (const message of client.fetch('1:*', { envelope: true })) {
      const subject = message.envelope?.subject ?? '';
      if (subject.startsWith(prefix)) counts.set(subject, (counts.get(subject) ?? 0) + 1);
    }
    return counts;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
