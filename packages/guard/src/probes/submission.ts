import type { ClientTls } from '../client-tls.js';
import { LineConnection } from '../net-lines.js';

/**
 * Submission (587-style): greeting, EHLO, STARTTLS (certificate checked as
 * `tls` says), EHLO again, and AUTH must then be offered: the service only
 * advertises AUTH once TLS is up, so this proves mail apps can log in and send.
 * `proxy`: the instance sits behind HAProxy and expects its PROXY v1 header
 * first; the probe sends one naming its own connection.
 */
export async function probeSubmission(host: string, port: number, timeoutMs: number, tls: ClientTls, proxy = false): Promise<string> {
  const conn = await LineConnection.connect(host, port, timeoutMs);
  try {
    if (proxy) conn.send(conn.proxyHeader());
    const greeting = await conn.smtpReply(timeoutMs);
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.text.slice(0, 80)}`);
    const ehlo = async (): Promise<Map<string, string[]>> => {
      conn.send('EHLO kura-guard.invalid\r\n');
      const reply = await conn.smtpReply(timeoutMs);
      if (reply.code !== 250) throw new Error(`EHLO answered ${reply.text.slice(0, 80)}`);
      return ehloExtensions(reply.text);
    };
    if (!(await ehlo()).has('STARTTLS')) throw new Error('STARTTLS is not offered');
    conn.send('STARTTLS\r\n');
    const ready = await conn.smtpReply(timeoutMs);
    if (ready.code !== 220) throw new Error(`STARTTLS answered ${ready.text.slice(0, 80)}`);
    await conn.startTls(host, tls, timeoutMs);
    const mechanisms = (await ehlo()).get('AUTH');
    if (!mechanisms?.length) throw new Error('AUTH is not offered after STARTTLS');
    conn.send('QUIT\r\n');
    return `AUTH ${mechanisms.join(' ')} offered after STARTTLS`;
  } finally {
    conn.close();
  }
}

/**
 * The extensions of an EHLO reply (RFC 5321 4.1.1.1), keyword upper-cased →
 * its parameters. The first line is the server's greeting name, not an extension.
 */
export function ehloExtensions(reply: string): Map<string, string[]> {
  const extensions = new Map<string, string[]>();
  for (const line of reply.split(/\r?\n/).slice(1)) {
    const [keyword, ...params] = line.slice(4).trim().split(/\s+/);
    if (/^250[- ]/.test(line) && keyword) extensions.set(keyword.toUpperCase(), params);
  }
  return extensions;
}
