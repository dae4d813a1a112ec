import { execFile } from 'node:child_process';
import { promises as dns } from 'node:dns';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openStore, setAutoReply } from '@kura/store';
import { dkimVerify } from 'mailauth';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../support/dns-server.js';
import { plainMessage } from '../support/messages.js';
import { startSink } from '../support/sink.js';
import { sendMail } from '../support/smtp-client.js';
import { newUser, startTestStack, type TestStack, tempDataDir, testConfig } from '../support/stack.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `kura dkim` against a running stack (WildDuck's DKIM API), and the delivery
 * agent inside Haraka signing an auto-reply with the key it created: the
 * signature verifies with mailauth against exactly the TXT record the command
 * printed, served by a DNS server on loopback.
 */
describe('kura dkim and signing in the MX process', () => {
  let t: TestStack;
  let dataDir: string;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const zone = new TestDnsServer({});

  beforeAll(async () => {
    sink = await startSink();
    await zone.start();
    dataDir = tempDataDir('outbound-dkim');
    // Auto-replies answer only mail a scanner found clean.
    const scanner = path.join(dataDir, 'scanner.sh');
    fs.writeFileSync(scanner, 'exit 0\n');
    const config = await testConfig(dataDir, {
      outbound: { relay: `127.0.0.1:${sink.port}`, retryInitialSeconds: 0.5 },
      smtp: { scanner: { command: ['sh', scanner] } },
    });
    t = await startTestStack(config);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    await sink?.close();
    await zone.stop();
    if (dataDir && !process.env.KEEPDATA) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const kura = (args: string[]) =>
    run('bash', [path.join(ROOT, 'scripts/kura.sh'), 'kura', ...args, '--config', path.join(dataDir, 'kura.config.json')], {
      cwd: ROOT,
      timeout: 60_000,
    });
  const failure = (err: unknown) => err as { code: number; stderr: string };

  it('says how to create a missing key, creates one through the API, and prints the same record again', async () => {
    const domain = t.config.demo.domain;
    const missing = await kura(['dkim', domain, '--json']).catch(failure);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining(`kura dkim ${domain} --create`) });
    const created = JSON.parse((await kura(['dkim', domain, '--create', '--selector', 'test2026', '--json'])).stdout);
    expect(created).toMatchObject({ event: 'created', domain, selector: 'test2026' });
    expect(created.dns.name).toBe(`test2026._domainkey.${domain}`);
    expect(created.dns.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    const again = JSON.parse((await kura(['dkim', domain, '--json'])).stdout);
    expect(again).toMatchObject({ event: 'found', dns: created.dns });
    const bad = await kura(['dkim', 'not a domain']).catch(failure);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a domain name') });
    zone.zone.TXT = { [created.dns.name]: [created.dns.value] };
  });

  it('signs the auto-reply the MX sends with that key', async () => {
    const user = await newUser(t.config, 'away');
    const store = await openStore({ mongodbUri: t.config.mongodbUri, redisUrl: t.config.redisUrl });
    try {
      await setAutoReply(store, new ObjectId(user.id), { status: true, subject: 'Away', text: 'Back on Monday.' });
    } finally {
      await store.close();
    }
    const writer = `writer-${user.username}@example.org`;
    const sent = await sendMail(t.config.ports.smtp, { from: writer, to: [user.address] }, plainMessage(user.address, 'Are you there?'));
    expect(sent.data?.code).toBe(250);
    const deadline = Date.now() + 30_000;
    while (!sink.received.some((m) => m.to.includes(writer)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const reply = sink.received.find((m) => m.to.includes(writer));
    expect(reply?.from).toBe(''); // null sender: an auto-reply cannot bounce back
    const resolver = new dns.Resolver();
    resolver.setServers([zone.address]);
    const verdict = await dkimVerify(reply?.raw as Buffer, {
      resolver: ((name: string, type: string) => resolver.resolve(name, type)) as never,
    });
    expect(verdict.results[0]).toMatchObject({ signingDomain: t.config.demo.domain, selector: 'test2026', status: { result: 'pass' } });
  });
});
