/**
 * Profiling aid for the inbound path (not part of `npm run bench`): starts one Kura stack, then 8 senders deliver
 * N messages of the bench's campus size mix to one user over SMTP, and the figures (visible msgs/s, p50/p99 time to
 * visible) are printed with the CPU each service used meanwhile. With --data the store survives between runs.
 *
 *   KURA_FERRETDB_PPROF=127.0.0.1:6062 bash scripts/kura.sh node bench/inbound-profile.ts --messages 200 \
 *     --data /tmp/kura-inbound --pause 8
 *
 * --pause N waits N seconds before sending: time to attach a profiler (`go tool pprof` on the data tier, or
 * `kill -USR1 <pid>` and `bench/node-profile.ts` on Haraka or WildDuck; the pids are logged first).
 */
import { parseArgs } from 'node:util';
import { runLoad } from './src/load/spawn.ts';
import { sizeMix } from './src/messages.ts';
import { cpuMs } from './src/procs.ts';
import { startKuraStack } from './src/stacks/kura.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    messages: { type: 'string', default: '200' },
    senders: { type: 'string', default: '8' },
    pause: { type: 'string', default: '0' },
  },
});
const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const count = Number(values.messages);
const senders = Number(values.senders);

const target = await startKuraStack({ dataDir: values.data });
try {
  const user = await target.user('inbound');
  const pids = target.services();
  say(`stack up, pids ${JSON.stringify(pids)}`);
  await new Promise((r) => setTimeout(r, Number(values.pause) * 1000));
  const services = ['ferretdb', 'haraka', 'wildduck', 'redis'] as const;
  const before = Object.fromEntries(services.map((s) => [s, cpuMs(pids[s])]));
  const started = Date.now();
  const result = await runLoad<Record<string, unknown>>(
    {
      kind: 'inbound',
      endpoint: { host: target.host, ...target.ports },
      user,
      sizes: sizeMix(count, 801, 20 * 1024 * 1024),
      senders,
      seed: 8001,
      timeoutMs: 600_000,
      stallMs: 120_000,
    },
    900_000,
  );
  const cpu = services.map((s) => `${s} ${Math.round(cpuMs(pids[s]) - (before[s] ?? 0))}`).join(', ');
  say(`${JSON.stringify({ ...result, failures: undefined })} in ${Date.now() - started} ms; CPU ms: ${cpu}`);
} finally {
  await target.stop();
}
