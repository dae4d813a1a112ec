import { type ClientTls, probeImap, probePop3, probeSmtp } from '@kura/guard';

export interface Frontends {
  host: string;
  imap: number;
  pop3: number;
  smtp: number;
  user: string;
  pass: string;
  /** Secured profile: STARTTLS for IMAP, implicit TLS for POP3 (`pop3` is then the TLS port). */
  tls?: ClientTls;
}

export interface LoginCheck {
  /** Sessions opened: `rounds` each of IMAP (login, SELECT), POP3 (login, STAT) and SMTP (greeting, EHLO). */
  attempted: number;
  failed: number;
  failures: Array<{ protocol: 'imap' | 'pop3' | 'smtp'; error: string }>;
}

/**
 * Fresh sessions through the front after a drill's recovery: what a client
 * that connects now would see. Every failure is counted, none is retried, so
 * the drill reports the number it measured.
 */
export async function loginsAfterRecovery(front: Frontends, rounds = 5, timeoutMs = 5_000): Promise<LoginCheck> {
  const check: LoginCheck = { attempted: 0, failed: 0, failures: [] };
  const attempt = async (protocol: 'imap' | 'pop3' | 'smtp', session: () => Promise<unknown>) => {
    check.attempted += 1;
    try {
      await session();
    } catch (err) {
      check.failed += 1;
      check.failures.push({ protocol, error: (err as Error).message.slice(0, 160) });
    }
  };
  for (let i = 0; i < rounds; i++) {
    await attempt('imap', () => probeImap(front.host, front.imap, front.user, front.pass, timeoutMs, front.tls));
    await attempt('pop3', () => probePop3(front.host, front.pop3, front.user, front.pass, timeoutMs, front.tls));
    await attempt('smtp', () => probeSmtp(front.host, front.smtp, timeoutMs));
  }
  return check;
}
