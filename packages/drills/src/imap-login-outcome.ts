import { LineConnection } from '@kura/guard';
import type { ImapEndpoint } from './imap-load.js';

/** What an IMAP login answers while the data tier is down, and how fast (raw protocol, so NO and BYE are visible). */
export async function imapLoginOutcome(imap: ImapEndpoint): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  let conn: LineConnection | undefined;
  try {
    conn = await LineConnection.connect(imap.host, imap.port, 5_000);
    const greeting = await conn.line(10_000);
    if (!greeting.startsWith('* OK')) return { answer: greeting.slice(0, 80), ms: Date.now() - started };
    if (imap.tls) {
      conn.send('A0 STARTTLS\r\n');
      const ok = await conn.line(10_000);
      if (!ok.startsWith('A0 OK')) return { answer: ok.slice(0, 120), ms: Date.now() - started };
      await conn.startTls(imap.host, imap.tls, 10_000);
    }
    conn.send(`A1 LOGIN ${imap.user} "${imap.pass}"\r\n`);
    for (;;) {
      const line = await conn.line(30_000);
      if (line.startsWith('A1 ') || line.startsWith('* BYE')) return { answer: line.slice(0, 120), ms: Date.now() - started };
    }
  } catch (err) {
    return { answer: `connection: ${(err as Error).message}`, ms: Date.now() - started };
  } finally {
    conn?.close();
  }
}
