import { imapflowTls } from '@kura/guard';
import { ImapFlow } from 'imapflow';
import type { DeliveryStream, StreamedMessage } from './delivery-stream.js';
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

export interface MessageFigures {
  messagesAcknowledged: number;
  messagesLost: number;
  messagesDuplicated: number;
  permanentFailures: number;
}

/** A stream's figures against what the mailbox holds: every acknowledged message must be there exactly once. */
export function messageFigures(acknowledged: StreamedMessage[], rejections: number, counts: Map<string, number>): MessageFigures {
  return {
    messagesAcknowledged: acknowledged.length,
    messagesLost: acknowledged.filter((m) => !counts.has(m.subject)).length,
    messagesDuplicated: acknowledged.filter((m) => (counts.get(m.subject) ?? 0) > 1).length,
    permanentFailures: rejections,
  };
}

/** Counts the drill account's INBOX and compares it with what the stream had acknowledged. */
export async function verifyStream(imap: ImapEndpoint, prefix: string, stream: DeliveryStream): Promise<MessageFigures> {
  const counts = await countSubjects(imap, prefix);
  return messageFigures(stream.acknowledged, stream.rejections.length, counts);
}
