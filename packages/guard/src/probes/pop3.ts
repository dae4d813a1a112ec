import type { ClientTls } from '../client-tls.js';
import { LineConnection } from '../net-lines.js';

/** POP3: greeting, USER/PASS login and STAT must all answer +OK (over implicit TLS when `secure`). */
export async function probePop3(
  host: string,
  port: number,
  user: string,
  pass: string,
  timeoutMs: number,
  secure?: ClientTls,
): Promise<string> {
  const conn = await LineConnection.connect(host, port, timeoutMs, secure);
  try {
    const expectOk = async (what: string) => {
      const line = await conn.line(timeoutMs);
      if (!line.startsWith('+OK')) throw new Error(`${what}: ${line.slice(0, 80)}`);
      return line;
    };
    await expectOk('greeting');
    conn.send(`USER ${user}\r\n`);
    await expectOk('USER');
    conn.send(`PASS ${pass}\r\n`);
    await expectOk('PASS');
    conn.send('STAT\r\n');
    const stat = await expectOk('STAT');
    conn.send('QUIT\r\n');
    return stat;
  } finally {
    conn.close();
  }
}
