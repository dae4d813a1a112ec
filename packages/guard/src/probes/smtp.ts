import { LineConnection } from '../net-lines.js';

/** SMTP: the greeting and EHLO must both answer 2xx. */
export async function probeSmtp(host: string, port: number, timeoutMs: number): Promise<string> {
  const conn = await LineConnection.connect(host, port, timeoutMs);
  try {
    const greeting = await conn.smtpReply(timeoutMs);
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.text.slice(0, 80)}`);
    conn.send('EHLO kura-guard.invalid\r\n');
    const ehlo = await conn.smtpReply(timeoutMs);
    if (ehlo.code !== 250) throw new Error(`EHLO answered ${ehlo.text.slice(0, 80)}`);
    conn.send('QUIT\r\n');
    return 'EHLO 250';
  } finally {
    conn.close();
  }
}
