import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureLocalCertificates } from '@kura/cli';
import { type KuraConfig, type KuraConfigInput, loadConfig } from '@kura/config';
import { type DeliveryAgent, dkimTxtRecord, startDeliveryAgent } from '@kura/outbound';
import { ensureStoreIndexes, ensureUser, openStore, type Store } from '@kura/store';
import { type DataTier, startDataTier } from './data-tier.js';
import { TestDnsServer } from './dns-server.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { type SinkOptions, startSink } from './sink.js';
import { tempDataDir } from './stack.js';

const require = createRequire(import.meta.url);
// WildDuck's own DKIM handler stores the key, as its `POST /dkim` API does.
const DkimHandler: new (
  options: Record<string, unknown>,
) => {
  set(options: { domain: string; selector: string }): Promise<{ id: string }>;
} = require('@zone-eu/wildduck/lib/dkim-handler');

export const SENDER_DOMAIN = 'campus.test';
export const REMOTE_DOMAIN = 'remote.test';
export const SELECTOR = 'kura2026';

export interface OutboundRig {
  config: KuraConfig;
  /** A config file for `kura … --config` naming the same store. */
  configFile: string;
  store: Store;
  dns: TestDnsServer;
  sink: Awaited<ReturnType<typeof startSink>>;
  tier: DataTier;
  /** Every RCPT TO the sink was asked, in order. */
  rcpts: string[];
  /** A fresh sender account of its own, at campus.test. */
  newSender(label: string): Promise<{ id: import('mongodb').ObjectId; address: string; username: string }>;
  stop(): Promise<void>;
}

/**
 * A bench for the delivery agent over real sockets: the local data tier and a
 * Redis, a DNS server on loopback that publishes campus.test's DKIM key and
 * remote.test's MX (127.0.0.1), a sink MX offering STARTTLS, and the agent
 * itself with backoff in fractions of a second.
 */
export async function startOutboundRig(
  label: string,
  options: {
    rcpt?: SinkOptions['rcpt'];
    outbound?: KuraConfigInput['outbound'];
    /** Send everything through the sink as a relay requiring STARTTLS and AUTH with these credentials. */
    relayAuth?: { user: string; pass: string };
  } = {},
): Promise<OutboundRig> {
  const dir = tempDataDir(label);
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rcpts: string[] = [];
    const certs = ensureLocalCertificates(path.join(dir, 'tls'), 'mx.remote.test');
    const sink = await startSink(() => {}, {
      tls: { key: fs.readFileSync(certs.key), cert: fs.readFileSync(certs.cert) },
      ...(options.relayAuth ? { auth: options.relayAuth } : {}),
      rcpt: (address) => {
        rcpts.push(address);
        return options.rcpt?.(address);
      },
    });
    stops.push(sink.close);
    const [tier, redis] = (await Promise.all([startDataTier(label, 'outbound'), startRedis()])) as [DataTier, TestRedis];
    stops.push(tier.stop, redis.stop);
    // remote.test: the sink; closed.test: an MX where nothing listens (127.0.0.2, the sink is on 127.0.0.1 only).
    const dns = new TestDnsServer({
      MX: {
        [REMOTE_DOMAIN]: [{ exchange: `mx.${REMOTE_DOMAIN}`, preference: 10 }],
        'closed.test': [{ exchange: 'mx.closed.test', preference: 10 }],
      },
      A: { [`mx.${REMOTE_DOMAIN}`]: ['127.0.0.1'], 'mx.closed.test': ['127.0.0.2'] },
    });
    await dns.start();
    stops.push(() => dns.stop());
    const overrides: KuraConfigInput = {
      hostname: `mx.${SENDER_DOMAIN}`,
      logLevel: 'warn',
      dataDir: dir,
      mongodb: { uri: tier.uri },
      redis: { url: redis.url },
      trust: { dnsServers: [dns.address], dnsTimeoutMs: 1_000 },
      outbound: {
        mxPort: sink.port,
        retryInitialSeconds: 0.3,
        retryMaxSeconds: 0.6,
        timeoutSeconds: 10,
        ...(options.relayAuth
          ? { relay: `127.0.0.1:${sink.port}`, relayTls: 'starttls' as const, relayCaFile: certs.ca, relayUser: options.relayAuth.user }
          : {}),
        ...options.outbound,
      },
    };
    const configFile = path.join(dir, 'kura.config.json');
    fs.writeFileSync(configFile, JSON.stringify(overrides, null, 2));
    const config = loadConfig({ cwd: dir, env: {}, overrides });
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    stops.push(() => store.close());
    await ensureStoreIndexes(store);
    const handler = new DkimHandler({ database: store.db, redis: store.redis });
    await handler.set({ domain: SENDER_DOMAIN, selector: SELECTOR });
    const key = await store.db.collection('dkim').findOne({ domain: SENDER_DOMAIN });
    const record = dkimTxtRecord({ domain: SENDER_DOMAIN, selector: SELECTOR, publicKey: String(key?.publicKey) });
    dns.zone.TXT = { [record.name]: [record.value] };
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const agent: DeliveryAgent = startDeliveryAgent({ config, store: async () => store, log, pollMs: 100 });
    // The agent stops before the store closes (stops run in reverse).
    stops.push(() => agent.stop());
    const newSender = async (who: string) => {
      const username = `${who}-${crypto.randomBytes(4).toString('hex')}`;
      const address = `${username}@${SENDER_DOMAIN}`;
      const { id } = await ensureUser(store, { username, password: `${username}-password`, address });
      return { id, address, username };
    };
    return { config, configFile, store, dns, sink, tier, rcpts, newSender, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A plain message from `from` to `to`, as a mail client would submit it. */
export function composeMessage(from: string, to: string[], subject: string): Buffer {
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: ${to.map((t) => `<${t}>`).join(', ')}`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${crypto.randomUUID()}@${SENDER_DOMAIN}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `${subject}: body line one.`,
      '',
    ].join('\r\n'),
  );
}

/** Polls `check` every 50 ms until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
