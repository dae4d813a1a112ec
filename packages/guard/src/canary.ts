import crypto from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { type ClientTls, imapflowTls } from './client-tls.js';
import { LineConnection } from './net-lines.js';

export interface CanaryTarget {
  host: string;
  smtpPort: number;
  imapPort: number;
  address: string;
  user: string;
  pass: string;
  hostname: string;
  /** The IMAP side logs in after STARTTLS (secured profile). */
  tls?: ClientTls;
}

export interface CanaryResult {
  /** SMTP accepted (250) → message seen over IMAP, in ms. */
  latencyMs: number;
  id: string;
}

/**
 * One canary round: a real message goes in through SMTP (the public MX port)
 * and is looked for over IMAP (the public IMAP port) until it appears. The
 * canary mailbox is emptied afterwards so it never grows.
 */
export async function runCanary(
  target: CanaryTarget,
  options: { timeoutMs: number; stepTimeoutMs: number; onSent?: (id: string, at: number) => void },
): Promise<CanaryResult> {
  const id = `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
  const client = new ImapFlow({
    host: target.host,
    port: target.imapPort,
    secure: false,
    ...imapflowTls(target.tls),
    auth: { user: target.user, pass: target.pass },
    logger: false,
    connectionTimeout: options.stepTimeoutMs,
    greetingTimeout: options.stepTimeoutMs,
    socketTimeout: options.timeoutMs,
    disableAutoIdle: true,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const before = await client.status('INBOX', { uidNext: true });
      const firstUid = (before ? before.uidNext : undefined) ?? 1;
      await sendCanary(target, id, options.stepTimeoutMs);
      const sentAt = Date.now();
      options.onSent?.(id, sentAt);
      const deadline = sentAt + options.timeoutMs;
      while (Date.now() < deadline) {
        const found = await findCanary(client, firstUid, id);
        if (found) {
          const latencyMs = Date.now() - sentAt;
          await client.messageDelete('1:*').catch(() => undefined);
          return { latencyMs, id };
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`canary ${id} accepted by SMTP but not seen over IMAP within ${options.timeoutMs} ms`);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function findCanary(client: ImapFlow, firstUid: number, id: string): Promise<boolean> {
  // NOOP makes the server report new messages in the selected mailbox.
  await client.noop();
  const mailbox = client.mailbox;
  if (!mailbox || typeof mailbox !== 'object' || mailbox.exists === 0) return false;
  for await (const message of client.fetch(`${firstUid}:*`, { envelope: true }, { uid: true })) {
    if (message.envelope?.subject?.includes(id)) return true;
  }
  return false;
}

async function sendCanary(target: CanaryTarget, id: string, timeoutMs: number): Promise<void> {
  const conn = await LineConnection.connect(target.host, target.smtpPort, timeoutMs);
  try {
    const step = async (line: string | undefined, expected: number) => {
      if (line !== undefined) conn.send(`${line}\r\n`);
      const reply = await conn.smtpReply(timeoutMs);
      if (reply.code !== expected) {
        throw new Error(`SMTP ${line?.split(' ')[0] ?? 'greeting'} answered ${reply.text.slice(0, 120)}`);
      }
    };
    await step(undefined, 220);
    await step('EHLO kura-guard.invalid', 250);
    await step('MAIL FROM:<>', 250);
    await step(`RCPT TO:<${target.address}>`, 250);
    await step('DATA', 354);
    const message = [
      `From: Kura guard <kura-guard@${target.hostname}>`,
      `To: <${target.address}>`,
      `Subject: kura canary ${id}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${id}@kura-guard.invalid>`,
      'X-Kura-Canary: yes',
      '',
      'This message measures delivery latency. It is deleted as soon as it is seen.',
      '.',
      '',
    ].join('\r\n');
    await step(message.slice(0, -2), 250);
    conn.send('QUIT\r\n');
  } finally {
    conn.close();
  }
}
