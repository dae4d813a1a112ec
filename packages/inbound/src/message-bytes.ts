import type { HarakaTransaction } from './haraka.js';

interface Read {
  headers: string;
  bytes: Promise<Buffer>;
}

const reads = new WeakMap<HarakaTransaction, Read>();

/**
 * The message as Haraka hands it to a local consumer (dot-unstuffed, CRLF line endings, the
 * header fields as they are now), read once for each state of the header fields. Every read is
 * a pass of Haraka's line transformer over the whole message; the loop check and the trust
 * checks see the same fields and share one read, the store reads again after Authentication-
 * Results and X-Kura-Scan were added. Callers must not change the buffer.
 */
export function messageBytes(txn: HarakaTransaction): Promise<Buffer> {
  // Haraka's message stream renders exactly this list (the same array), so equal text means equal bytes
  const headers = txn.header.header_list.join('');
  const last = reads.get(txn);
  if (last && last.headers === headers) return last.bytes;
  const bytes = new Promise<Buffer>((resolve) => txn.message_stream.get_data({ line_endings: '\r\n' }, resolve));
  reads.set(txn, { headers, bytes });
  return bytes;
}
