import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

/** Records by lower-case name: TXT as lists of strings (one entry per record), A as addresses, MX as exchanges. */
export interface Zone {
  TXT?: Record<string, string[]>;
  A?: Record<string, string[]>;
  MX?: Record<string, Array<{ exchange: string; preference: number }>>;
}

/**
 * A small authoritative DNS server on loopback UDP for tests (SPF, DKIM,
 * DMARC and blocklist records). Unknown names answer NXDOMAIN, known names
 * without the asked type answer NODATA, as a real zone would. `stop()` takes it
 * off the network (queries are refused by the kernel), `start()` brings it back
 * on the same port.
 */
export class TestDnsServer {
  private socket: dgram.Socket | undefined;
  readonly queries: string[] = [];
  /** When set, queries are read and never answered: a DNS server that hangs. */
  silent = false;

  constructor(
    readonly zone: Zone,
    public port = 0,
  ) {}

  async start(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => this.answer(socket, msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, '127.0.0.1', () => resolve());
    });
    this.port = socket.address().port;
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** "127.0.0.1:port", for trust.dnsServers. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private answer(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    this.queries.push(`${question.type} ${name}`);
    if (this.silent) return;
    const txt = this.zone.TXT?.[name];
    const a = this.zone.A?.[name];
    const mx = this.zone.MX?.[name];
    const answers: dnsPacket.Answer[] = [];
    if (question.type === 'TXT' && txt) {
      // Long strings are split into 255-byte character-strings (RFC 1035), as a zone file would.
      for (const record of txt) answers.push({ type: 'TXT', name: question.name, ttl: 60, data: chunks(record) });
    }
    if (question.type === 'A' && a) for (const address of a) answers.push({ type: 'A', name: question.name, ttl: 60, data: address });
    if (question.type === 'MX' && mx) for (const data of mx) answers.push({ type: 'MX', name: question.name, ttl: 60, data });
    const known = txt !== undefined || a !== undefined || mx !== undefined;
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers,
    });
    socket.send(response, rinfo.port, rinfo.address);
  }
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out.length > 0 ? out : [''];
}
