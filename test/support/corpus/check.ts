import type { KuraConfig } from '@kura/config';
import type { ImapFlow } from 'imapflow';
import { Pop3Client } from '../pop3-client.js';
import { SmtpClient } from '../smtp-client.js';
import type { TestUser } from '../stack.js';

/** One message of the round trip: what was sent, how, and which bytes each section must return. */
export interface Expected {
  name: string;
  sent: Buffer;
  via: 'smtp' | 'append';
  parts: Array<{ path: string; mime?: Buffer; body: Buffer }>;
}

export interface Fetched {
  uid: number;
  source: Buffer;
  size: number;
  sections: Map<string, Buffer>;
}

/** Sends every message over one SMTP connection (one transaction each); returns the names that got no 250. */
export async function sendAll(port: number, to: string, messages: Expected[]): Promise<string[]> {
  const { client } = await SmtpClient.connect(port);
  const refused: string[] = [];
  try {
    await client.command('EHLO corpus.example');
    for (const m of messages) {
      await client.command('MAIL FROM:<corpus@example.org> BODY=8BITMIME SMTPUTF8');
      const rcpt = await client.command(`RCPT TO:<${to}>`);
      const reply = rcpt.code === 250 ? await client.data(m.sent) : rcpt;
      if (reply.code !== 250) {
        refused.push(`${m.name}: ${reply.code} ${reply.text}`);
        await client.command('RSET');
      }
    }
  } finally {
    await client.close();
  }
  return refused;
}

/** Section names to fetch for a message: TEXT and HEADER, every part and its MIME header. */
function sectionsOf(m: Expected): string[] {
  const names = ['TEXT', 'HEADER'];
  for (const p of m.parts) {
    if (p.path === '') continue;
    names.push(p.path);
    if (p.mime?.length) names.push(`${p.path}.MIME`);
  }
  return names;
}

const endsWithCrlf = (data: Buffer) => data.length >= 2 && data[data.length - 2] === 0x0d && data[data.length - 1] === 0x0a;

/**
 * Fetches every message of the open mailbox with one FETCH: the whole message
 * and the union of the sections any expectation names (a section a message
 * does not have comes back empty and is not compared).
 */
export async function fetchAll(client: ImapFlow, expected: Expected[]): Promise<Fetched[]> {
  const names = [...new Set(expected.flatMap(sectionsOf))].filter((n) => n !== 'HEADER');
  const out: Fetched[] = [];
  for await (const msg of client.fetch('1:*', { uid: true, source: true, size: true, headers: true, bodyParts: names })) {
    const sections = new Map<string, Buffer>();
    for (const [key, value] of msg.bodyParts ?? new Map()) sections.set(String(key).toUpperCase(), Buffer.from(value ?? ''));
    sections.set('HEADER', Buffer.from(msg.headers ?? ''));
    out.push({ uid: msg.uid, source: msg.source as Buffer, size: msg.size as number, sections });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/** Every difference between what was sent and what came back; empty means byte for byte. */
export function compare(expected: Expected[], fetched: Fetched[]): Array<{ name: string; what: string }> {
  const problems: Array<{ name: string; what: string }> = [];
  if (fetched.length !== expected.length) problems.push({ name: '*', what: `stored ${fetched.length} of ${expected.length}` });
  for (const [i, m] of expected.entries()) {
    const got = fetched[i];
    if (!got) continue;
    const trace = got.source.subarray(0, Math.max(0, got.source.length - m.sent.length));
    const rest = got.source.subarray(trace.length);
    const bad = (what: string) => {
      problems.push({ name: m.name, what });
    };
    if (!rest.equals(m.sent)) bad('BODY[]');
    else if (m.via === 'append' && trace.length > 0) bad('BODY[] has extra bytes');
    else if (m.via === 'smtp' && !/^Received: /.test(trace.toString('latin1'))) bad('no trace header');
    if (problems.some((p) => p.name === m.name)) continue;
    if (got.size !== got.source.length) bad(`RFC822.SIZE ${got.size} != ${got.source.length}`);
    for (const p of m.parts) {
      if (p.path === '') {
        if (!(got.sections.get('TEXT') ?? Buffer.alloc(0)).equals(p.body)) bad('BODY[TEXT]');
        if (p.mime && !(got.sections.get('HEADER') ?? Buffer.alloc(0)).equals(Buffer.concat([trace, p.mime]))) bad('BODY[HEADER]');
        continue;
      }
      if (!(got.sections.get(p.path) ?? Buffer.alloc(0)).equals(p.body)) bad(`BODY[${p.path}]`);
      const mime = got.sections.get(`${p.path}.MIME`);
      // (a single-part message's section 1 has no MIME header of its own to compare)
      if (mime && p.mime?.length && !mime.equals(p.mime)) bad(`BODY[${p.path}.MIME]`);
    }
  }
  return problems;
}

/**
 * RETR (and TOP n 0 for every other one) of a sample over one POP3 session,
 * compared with the IMAP sources: every message whose framing is delicate (no
 * final line end, bare LF or CR, a line starting with a dot) and every 10th
 * other one, at most `limit`. POP3 lists the newest messages only, oldest first.
 */
export async function pop3Problems(
  config: KuraConfig,
  fetched: Fetched[],
  owner: TestUser,
  limit = 40,
): Promise<{ checked: number; problems: Array<{ uid: number; what: string }> }> {
  const { client } = await Pop3Client.connect(config.ports.pop3);
  const problems: Array<{ uid: number; what: string }> = [];
  let checked = 0;
  try {
    await client.login(owner.username, owner.password);
    const count = Number(/^\+OK (\d+)/.exec(await client.command('STAT'))?.[1]);
    const offset = fetched.length - count;
    const delicate = (source: Buffer) => !endsWithCrlf(source) || /(^|[^\r])\n|\r(?!\n)|\r\n\./.test(source.toString('latin1'));
    const sample = [...Array(count).keys()].filter((k) => {
      const m = fetched[offset + k];
      return m !== undefined && (delicate(m.source) || k % 10 === 0);
    });
    for (const k of sample.filter((_, i) => i % Math.ceil(sample.length / limit) === 0)) {
      const m = fetched[offset + k] as Fetched;
      checked++;
      const retr = await client.multiline(`RETR ${k + 1}`);
      // POP3 lines end in CRLF: a message without a final line end gets one from the framing.
      const body = endsWithCrlf(m.source) || m.source.length === 0 ? retr.body : retr.body.subarray(0, -2);
      if (!body.equals(m.source)) problems.push({ uid: m.uid, what: `RETR (${retr.body.length} vs ${m.source.length} bytes)` });
      if (checked % 2 === 1) {
        const top = await client.multiline(`TOP ${k + 1} 0`);
        const header = m.sections.get('HEADER');
        const topBody = header && header.length > 0 && !endsWithCrlf(header) ? top.body.subarray(0, -2) : top.body;
        if (header && !topBody.equals(header)) problems.push({ uid: m.uid, what: 'TOP n 0' });
      }
    }
    await client.command('QUIT');
  } finally {
    client.destroy();
  }
  return { checked, problems };
}
