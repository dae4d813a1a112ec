import { MongoClient } from 'mongodb';

export interface DataTierReport {
  detail: string;
  /** Replication lag of the slowest secondary, in seconds (replica sets only). */
  lagSeconds?: number;
  /** Members neither primary nor secondary (down, recovering, starting up). */
  unhealthyMembers?: number;
}

/**
 * Data tier: a ping, and on a replica set a primary present and the
 * replication lag of the slowest secondary. One client is kept between probes;
 * its server-selection timeout bounds each probe.
 */
export class DataTierProbe {
  private client: MongoClient | undefined;

  constructor(
    private readonly uri: string,
    private readonly timeoutMs: number,
  ) {}

  async run(): Promise<DataTierReport> {
    this.client ??= new MongoClient(this.uri, {
      serverSelectionTimeoutMS: this.timeoutMs,
      connectTimeoutMS: this.timeoutMs,
      appName: 'kura-guard',
    });
    const admin = this.client.db().admin();
    try {
      await admin.command({ ping: 1 });
    } catch (err) {
      // A client whose first connection failed can stay closed ("Topology is closed") for good: start afresh next time.
      await this.close();
      throw err;
    }
    const hello = await admin.command({ hello: 1 });
    if (typeof hello.setName !== 'string') return { detail: 'ping ok (single server)' };
    if (!hello.primary) return replicaSetReport(hello, undefined);
    return replicaSetReport(hello, await admin.command({ replSetGetStatus: 1 }));
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}

interface Member {
  name: string;
  stateStr: string;
  optimeDate?: Date;
}

/**
 * What the guard concludes from `hello` and `replSetGetStatus`: no primary
 * (an election, or a lost majority) is an outage; otherwise the lag of the
 * slowest secondary. Pure, so the election paths are tested without a
 * replica set at hand.
 */
export function replicaSetReport(
  hello: { setName?: string; primary?: string },
  status: { members?: Member[] } | undefined,
): DataTierReport {
  if (!hello.primary || !status) throw new Error(`replica set ${hello.setName} has no primary (election in progress, or no majority)`);
  const members = status.members ?? [];
  const primary = members.find((m) => m.stateStr === 'PRIMARY');
  if (!primary) throw new Error(`replica set ${hello.setName} reports no PRIMARY member`);
  const secondaries = members.filter((m) => m.stateStr === 'SECONDARY');
  const primaryTime = primary.optimeDate?.getTime() ?? 0;
  const lagSeconds = Math.max(0, ...secondaries.map((m) => (primaryTime - (m.optimeDate?.getTime() ?? 0)) / 1000));
  const missing = members.length - secondaries.length - 1;
  return {
    detail: `primary ${hello.primary}, ${secondaries.length} secondaries${missing > 0 ? ` (${missing} member${missing > 1 ? 's' : ''} not healthy)` : ''}, lag ${lagSeconds.toFixed(1)} s`,
    lagSeconds,
    unhealthyMembers: missing,
  };
}
