import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HarakaTransaction } from '../src/haraka.js';
import { messageBytes } from '../src/message-bytes.js';

// Haraka's own message stream, as Haraka (our dependency) loads it
const fromHaraka = createRequire(createRequire(import.meta.url).resolve('Haraka/package.json'));
const MessageStream = fromHaraka('haraka-message-stream');

interface Stream {
  add_line(line: Buffer): void;
  add_line_end(cb?: () => void): void;
  get_data(options: Record<string, unknown>, cb: (data: Buffer) => void): void;
}

/** A transaction holding a received message: Haraka's stream, with the header list it renders. */
async function received(lines: string[]): Promise<{ txn: HarakaTransaction; reads: () => number }> {
  const headerList = lines.slice(0, lines.indexOf('\r\n'));
  const stream: Stream = new MessageStream({ main: {} }, `test-${process.hrtime.bigint()}`, headerList);
  for (const line of lines) stream.add_line(Buffer.from(line));
  await new Promise<void>((resolve) => stream.add_line_end(resolve));
  let count = 0;
  const getData = stream.get_data.bind(stream);
  stream.get_data = (options, cb) => {
    count++;
    getData(options, cb);
  };
  const header = { header_list: headerList, get: () => '', get_all: () => [] };
  return { txn: { header, message_stream: stream } as unknown as HarakaTransaction, reads: () => count };
}

const direct = (txn: HarakaTransaction) => new Promise<Buffer>((resolve) => txn.message_stream.get_data({ line_endings: '\r\n' }, resolve));

describe('the message bytes the MX checks and stores', () => {
  it('are read once while the header fields stay the same, and again when a check adds one', async () => {
    const { txn, reads } = await received([
      'Subject: hello\r\n',
      'From: a@example.org\r\n',
      '\r\n',
      '..a dot-stuffed line\r\n',
      'body\r\n',
    ]);

    const first = await messageBytes(txn);
    const second = await messageBytes(txn);
    expect(second).toBe(first);
    expect(reads()).toBe(1);
    expect(first.toString()).toBe('Subject: hello\r\nFrom: a@example.org\r\n\r\n.a dot-stuffed line\r\nbody\r\n');

    // what the trust checks do: a leading header field, which the stored message must carry
    txn.header.header_list.unshift('Authentication-Results: mx.example.org; spf=pass\r\n');
    const third = await messageBytes(txn);
    expect(reads()).toBe(2);
    expect(third.toString()).toMatch(/^Authentication-Results: mx\.example\.org; spf=pass\r\nSubject: hello\r\n/);
    expect(third.equals(await direct(txn))).toBe(true);
  });

  it('are kept per transaction', async () => {
    const a = await received(['Subject: a\r\n', '\r\n', 'first\r\n']);
    const b = await received(['Subject: a\r\n', '\r\n', 'second\r\n']);
    expect((await messageBytes(a.txn)).toString()).toContain('first');
    expect((await messageBytes(b.txn)).toString()).toContain('second');
  });
});
