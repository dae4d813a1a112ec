import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryStream } from '../src/delivery-stream.js';

/** A real SMTP server on loopback whose DATA answers follow `answers` (then 250), recording each Message-ID. */
async function scriptedServer(answers: number[]) {
  const seen: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => {
        raw += chunk.toString();
      });
      stream.on('end', () => {
        seen.push(/^Message-ID: (.+)$/m.exec(raw)?.[1]?.trim() ?? '');
        const code = answers.shift() ?? 250;
        if (code === 250) return callback();
        callback(Object.assign(new Error(code >= 500 ? 'rejected' : 'try again later'), { responseCode: code }));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('DeliveryStream: a sending MTA', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('retries the same message after a 4xx until it is acknowledged', async () => {
    const server = await scriptedServer([451, 451]);
    close = server.close;
    const stream = new DeliveryStream(
      { host: '127.0.0.1', port: server.port, to: 'drill@example.org', hostname: 'test.invalid' },
      { prefix: 'unit', senders: 1, pauseMs: 0, retryMs: 10, max: 1 },
    );
    stream.start();
    await stream.finish(10_000);
    expect(stream.messages).toHaveLength(1);
    const [sent] = stream.messages;
    expect(sent?.replies).toEqual([451, 451, 250]);
    expect(sent?.acknowledgedAt).toBeTypeOf('number');
    // Three attempts of one message: the same Message-ID each time.
    expect(server.seen).toEqual([sent?.messageId, sent?.messageId, sent?.messageId]);
    expect(stream.rejections).toEqual([]);
  });

  it('records a 5xx as a rejection and never retries it', async () => {
    const server = await scriptedServer([550]);
    close = server.close;
    const stream = new DeliveryStream(
      { host: '127.0.0.1', port: server.port, to: 'drill@example.org', hostname: 'test.invalid' },
      { prefix: 'unit', senders: 1, pauseMs: 0, retryMs: 10, max: 2 },
    );
    stream.start();
    // finish() stops new messages, so let the sender reach its second (and last) message first.
    await vi.waitFor(() => expect(stream.acknowledged).toHaveLength(1), { timeout: 10_000 });
    await stream.finish(10_000);
    expect(stream.messages.map((m) => m.replies)).toEqual([[550], [250]]);
    expect(stream.rejections).toEqual([expect.objectContaining({ subject: stream.messages[0]?.subject, code: 550 })]);
    expect(stream.acknowledged.map((m) => m.subject)).toEqual([stream.messages[1]?.subject]);
  });
});
