import type { ClientTls } from '../client-tls.js';
import { LineConnection } from '../net-lines.js';

/**
 * IMAP straight to one WildDuck instance, which (behind HAProxy) expects the
 * PROXY protocol on every connection: the header naming this connection,
 * then STARTTLS, LOGIN, SELECT INBOX and a FETCH of the newest message's
 * flags, as `probeImap` does through HAProxy. Spoken line by line because no
 * IMAP client library sends a PROXY header.
 */
export async function probeImapInstance(
  host: string,
  port: number,
  user: string,
  pass: string,
  timeoutMs: number,
  secure: ClientTls,
): Promise<string> {
  const conn = await LineConnection.connect(host, port, timeoutMs);
  try {
    conn.send(conn.proxyHeader());
    const greeting = await conn.line(timeoutMs);
    if (!greeting.startsWith('* OK')) throw new Error(`greeting: ${greeting.slice(0, 80)}`);
    let tag = 0;
    /** Sends one command; resolves with its untagged lines once the tagged OK arrives. */
    const command = async (text: string): Promise<string[]> => {
      const id = `k${++tag}`;
      conn.send(`${id} ${text}\r\n`);
      const untagged: string[] = [];
      for (;;) {
        const line = await conn.line(timeoutMs);
        if (line.startsWith(`${id} OK`)) return untagged;
        if (line.startsWith(`${id} `)) throw new Error(`${text.split(' ')[0]}: ${line.slice(0, 120)}`);
        untagged.push(line);
      }
    };
    await command('STARTTLS');
    await conn.startTls(host, secure, timeoutMs);
    await command(`LOGIN ${quote(user)} ${quote(pass)}`);
    const selected = await command('SELECT INBOX');
    const exists = Number(/^\* (\d+) EXISTS/.exec(selected.find((l) => /EXISTS$/.test(l)) ?? '')?.[1] ?? 0);
    if (exists > 0) await command('FETCH * (FLAGS)');
    await command('LOGOUT').catch(() => undefined);
    return `SELECT ok, ${exists} messages`;
  } finally {
    conn.close();
  }
}

/** An IMAP quoted string (RFC 3501: backslash and double quote escaped). */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
