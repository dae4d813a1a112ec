import { MongoClient } from 'mongodb';

export interface DataTierReport {
  detail: string;
  /** Replication lag of the slowest secondary, in seconds (replica sets only). */
  lagSeconds?: number;
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
    await admin.command({ ping: 1 });
    const hello = await admin.command({ hello: 1 });
    if (typeof hello.setName !== 'string') return { detail: 'ping ok (single server)' };
    if (!hello.primary) throw new Error(`replica set ${hello.setName} has no primary (election in progress?)`);
    const status = await admin.command({ replSetGetStatus: 1 });
    const members = status.members as Array<{ stateStr: string; optimeDate?: Date; name: string }>;
    const primary = members.find((m) => m.stateStr === 'PRIMARY');
    const secondaries = members.filter((m) => m.stateStr === 'SECONDARY');
    const primaryTime = primary?.optimeDate?.getTime() ?? 0;
    const lagSeconds = Math.max(0, ...secondaries.map((m) => (primaryTime - (m.optimeDate?.getTime() ?? 0)) / 1000));
    return {
      detail: `primary ${hello.primary}, ${secondaries.length} secondaries, lag ${lagSeconds.toFixed(1)} s`,
      lagSeconds,
    };
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}
