import crypto from 'node:crypto';
import { LineConnection } from '@kura/guard';

export interface SmtpEndpoint {
  host: string;
  port: number;
  to: string;
  hostname: string;
}

export interface StreamedMessage {
  subject: string;
  /** Kept across retries: a sending MTA retries the same message, not a new one. */
  messageId: string;
  date: string;
  /** When the server answered 250 to the end of DATA. */
  acknowledgedAt?: number;
  attempts: number;
  replies: number[];
}

/**
 * A delivery stream that behaves like a sending MTA: each message is retried
 * (after a 4xx or a broken connection) until it is acknowledged with 250; a
 * 5xx is recorded and never retried (that would be a bounce).
 */
export class DeliveryStream {
  readonly messages: StreamedMessage[] = [];
  readonly rejections: Array<{ subject: string; code: number; text: string }> = [];
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];

  constructor(
    private readonly endpoint: SmtpEndpoint,
    private readonly options: { prefix: string; senders: number; pauseMs: number; retryMs: number; max?: number },
  ) {}

  start(): void {
    for (let i = 0; i < this.options.senders; i++) this.loops.push(this.sender());
  }

  /** Stops sending new messages; messages in flight are still retried until acknowledged or `timeoutMs`. */
  async finish(timeoutMs: number): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((r) => {
      timer = setTimeout(r, timeoutMs);
    });
    await Promise.race([Promise.all(this.loops), timeout]);
    clearTimeout(timer);
  }

  get acknowledged(): StreamedMessage[] {
    return this.messages.filter((m) => m.acknowledgedAt !== undefined);
  }

  private async sender(): Promise<void> {
    while (!this.stopped && (this.options.max === undefined || this.messages.length < this.options.max)) {
      const message: StreamedMessage = {
        subject: `${this.options.prefix} ${crypto.randomUUID()}`,
        messageId: `<${crypto.randomUUID()}@drill.invalid>`,
        date: new Date().toUTCString(),
        attempts: 0,
        replies: [],
      };
      this.messages.push(message);
      const giveUpAt = Date.now() + 120_000;
      while (message.acknowledgedAt === undefined && Date.now() < giveUpAt) {
        message.attempts += 1;
        const outcome = await this.attempt(message).catch((err: Error) => ({ code: 0, text: err.message }));
        message.replies.push(outcome.code);
        if (outcome.code === 250) message.acknowledgedAt = Date.now();
        else if (outcome.code >= 500) {
          this.rejections.push({ subject: message.subject, ...outcome });
          break;
        } else await new Promise((r) => setTimeout(r, this.options.retryMs));
      }
      await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }

  /** One SMTP transaction; resolves with the first non-success reply, or the final 250. */
  private async attempt(message: StreamedMessage): Promise<{ code: number; text: string }> {
    const conn = await LineConnection.connect(this.endpoint.host, this.endpoint.port, 5_000);
    try {
      const step = async (line: string | undefined, ok: number) => {
        if (line !== undefined) conn.send(`${line}\r\n`);
        const reply = await conn.smtpReply(30_000);
        return reply.code === ok ? undefined : reply;
      };
      const body = [
        'From: Drill <drill@example.org>',
        `To: <${this.endpoint.to}>`,
        `Subject: ${message.subject}`,
        `Message-ID: ${message.messageId}`,
        `Date: ${message.date}`,
        '',
        'A message of a failover drill.',
        '.',
      ].join('\r\n');
      for (const [line, ok] of [
        [undefined, 220],
        ['EHLO drill.invalid', 250],
        ['MAIL FROM:<drill@example.org>', 250],
        [`RCPT TO:<${this.endpoint.to}>`, 250],
        ['DATA', 354],
        [body, 250],
      ] as Array<[string | undefined, number]>) {
        const bad = await step(line, ok);
        if (bad) return bad;
      }
      conn.send('QUIT\r\n');
      return { code: 250, text: 'ok' };
    } finally {
      conn.close();
    }
  }
}
