import fs from 'node:fs';
import { mboxFlags } from './flags.js';

export type MboxQuoting = 'mboxrd' | 'mboxo';

export interface MboxMessage {
  /** 1-based position in the file. */
  index: number;
  /** Byte offset of the From_ line (where a report can point). */
  offset: number;
  /** The message without its From_ line, quoting undone; line ends as in the file. */
  raw: Buffer;
  /** Where the message's bytes are in the file (after the From_ line, before the separator). */
  start: number;
  end: number;
  /** Date of the From_ line (the internal date), undefined when it has none we can read. */
  date: Date | undefined;
  flags: string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The date of a From_ line: asctime ("Thu Nov 26 10:00:00 2026"), optionally with a
 * numeric zone before or after the year (as some writers add); without a zone it is UTC.
 */
export function parseFromLineDate(line: string): Date | undefined {
  const m =
    /\s(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-]\d{4}|[A-Z]{1,5})\s+)?(\d{4})(?:\s+([+-]\d{4}))?\s*$/.exec(
      line,
    );
  if (!m) return undefined;
  const month = MONTHS.indexOf((m[1] as string).toLowerCase());
  if (month < 0) return undefined;
  const zone = /^[+-]\d{4}$/.test(m[6] ?? '') ? m[6] : m[8];
  const offsetMinutes = zone ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) : 0;
  const utc = Date.UTC(Number(m[7]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0));
  const date = new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A From_ separator line: "From " followed by an address-ish word and a readable date. */
export function isFromLine(line: Buffer): boolean {
  if (line.length < 10 || line.toString('latin1', 0, 5) !== 'From ') return false;
  return parseFromLineDate(line.toString('latin1').trimEnd()) !== undefined;
}

/**
 * Undoes From_ quoting on one body line. mboxrd: any `>+From ` loses one `>`;
 * mboxo: only `>From ` becomes `From ` (mboxo cannot tell a quoted line from an original one).
 */
export function unquoteLine(line: Buffer, quoting: MboxQuoting): Buffer {
  if (line[0] !== 0x3e) return line;
  let i = 0;
  while (line[i] === 0x3e) i++;
  if (line.toString('latin1', i, i + 5) !== 'From ') return line;
  if (quoting === 'mboxo' && i !== 1) return line;
  return line.subarray(1);
}

/** Status, X-Status and X-Keywords of a message's header block. */
function headerFlags(raw: Buffer): string[] {
  const end = raw.indexOf('\n\n');
  const head = raw.toString('latin1', 0, end < 0 ? Math.min(raw.length, 64 * 1024) : end).replace(/\r/g, '');
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t].*)*)`, 'im').exec(head)?.[1]?.replace(/\n[ \t]+/g, ' ');
  return mboxFlags({ status: field('Status'), xStatus: field('X-Status'), xKeywords: field('X-Keywords') });
}

/**
 * The messages of one mbox file, read as a stream (files of many GB are fine).
 * A From_ line separates messages when it starts the file or follows an empty
 * line; that empty line belongs to the separator, not to the message before it.
 */
export async function* readMbox(file: string, quoting: MboxQuoting = 'mboxrd'): AsyncGenerator<MboxMessage> {
  let lines: Buffer[] = [];
  let fromLine: Buffer | undefined;
  let fromOffset = 0;
  let bodyStart = 0;
  let bodyLength = 0;
  let lastLength = 0;
  let index = 0;
  let position = 0;
  let previousBlank = true;
  let carry: Buffer = Buffer.alloc(0);

  const finish = (): MboxMessage | undefined => {
    if (!fromLine) return undefined;
    // The blank line before the next From_ (or at the end of the file) is the separator.
    const body = lines;
    const last = body[body.length - 1];
    let length = bodyLength;
    if (last && (last.length === 1 || (last.length === 2 && last[0] === 0x0d)) && last[last.length - 1] === 0x0a) {
      body.pop();
      length -= lastLength;
    }
    const raw = Buffer.concat(body);
    index++;
    return {
      index,
      offset: fromOffset,
      raw,
      start: bodyStart,
      end: bodyStart + length,
      date: parseFromLineDate(fromLine.toString('latin1').trimEnd()),
      flags: headerFlags(raw),
    };
  };

  const take = function* (line: Buffer): Generator<MboxMessage> {
    const start = position;
    position += line.length;
    if (previousBlank && isFromLine(line)) {
      const done = finish();
      if (done) yield done;
      fromLine = line;
      fromOffset = start;
      bodyStart = position;
      bodyLength = 0;
      lines = [];
      previousBlank = false;
      return;
    }
    previousBlank = line.length <= 2 && (line[0] === 0x0a || (line[0] === 0x0d && line[1] === 0x0a));
    if (!fromLine) {
      if (line.toString('latin1').trim()) throw new MboxFormatError(`${file}: does not start with a "From " line (not an mbox file?)`);
      return;
    }
    lines.push(unquoteLine(line, quoting));
    bodyLength += line.length;
    lastLength = line.length;
  };

  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    let data = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let nl = data.indexOf(0x0a);
    while (nl >= 0) {
      // Copy: lines outlive the chunk they came from.
      yield* take(Buffer.from(data.subarray(0, nl + 1)));
      data = data.subarray(nl + 1);
      nl = data.indexOf(0x0a);
    }
    carry = Buffer.from(data);
  }
  if (carry.length) yield* take(carry);
  const done = finish();
  if (done) yield done;
}

export class MboxFormatError extends Error {
  override name = 'MboxFormatError';
}

/** One message's bytes, read again from where `readMbox` found it, quoting undone. */
export async function readMboxRange(file: string, start: number, end: number, quoting: MboxQuoting): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const region = Buffer.alloc(end - start);
    let done = 0;
    while (done < region.length) {
      const { bytesRead } = await handle.read(region, done, region.length - done, start + done);
      if (!bytesRead) throw new MboxFormatError(`${file} changed while it was being imported (shorter than before)`);
      done += bytesRead;
    }
    const out: Buffer[] = [];
    let from = 0;
    while (from < region.length) {
      const nl = region.indexOf(0x0a, from);
      const to = nl < 0 ? region.length : nl + 1;
      out.push(unquoteLine(region.subarray(from, to), quoting));
      from = to;
    }
    return Buffer.concat(out);
  } finally {
    await handle.close();
  }
}
