/**
 * Profiling aid for the local data tier's write path (not part of `npm run bench`): fills one user's INBOX with
 * small distinct messages through the MX's delivery path, then times IMAP COPY and STORE of the first N messages,
 * with the CPU time the data tier and WildDuck spent on each. With --data the store survives, so a changed
 * FerretDB launcher can be measured on the same store. --without-local-indexes measures without the local tier's own
 * read indexes (the MX creates them at start; they are dropped before anything is written).
 *
 *   KURA_FERRETDB_PPROF=127.0.0.1:6071 bash scripts/kura.sh node bench/write-profile.ts \
 *     --data /tmp/kura-write --messages 2500 --ops 200
 *
 * Each figure is logged as soon as it is measured.
 */
import { parseArgs } from 'node:util';
import { LOCAL_TIER_INDEXES } from '@kura/store';
import { MongoClient } from 'mongodb';
import { ImapConnection } from './src/clients/imap.ts';
import { makeMessage } from './src/messages.ts';
import { cpuMs } from './src/procs.ts';
import { startKuraStack } from './src/stacks/kura.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    messages: { type: 'string', default: '2500' },
    ops: { type: 'string', default: '200' },
    bytes: { type: 'string', default: '4000' },
    /** Drop the local tier's own indexes (LOCAL_TIER_INDEXES) after start: their write cost. */
    'without-local-indexes': { type: 'boolean', default: false },
  },
});
const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const step = 250;

const target = await startKuraStack({ dataDir: values.data });
try {
  if (values['without-local-indexes']) {
    const client = await MongoClient.connect(target.mongodbUri);
    for (const { collection, index } of LOCAL_TIER_INDEXES) await client.db().collection(collection).dropIndex(index.name);
    await client.close();
    say(`dropped ${LOCAL_TIER_INDEXES.map((i) => i.index.name).join(', ')}`);
  }
  const user = await target.user('writer');
  const pids = target.services();
  const cpu = () => ({ db: cpuMs(pids.ferretdb), imap: cpuMs(pids.wildduck) });
  const spent = (from: { db: number; imap: number }) => {
    const now = cpu();
    return `CPU: data tier ${Math.round(now.db - from.db)} ms, WildDuck ${Math.round(now.imap - from.imap)} ms`;
  };
  const imap = await ImapConnection.login(target.ports.imap, user.login, user.password, target.host);
  const status = await imap.command('STATUS INBOX (MESSAGES)', { collect: true });
  let have = Number(/MESSAGES (\d+)/.exec(status.lines.join(' '))?.[1] ?? 0);
  while (have < Number(values.messages)) {
    const raws = Array.from({ length: step }, (_, k) => ({
      raw: makeMessage({ id: `write-${have + k}`, to: user.address, bytes: Number(values.bytes), seed: have + k }),
    }));
    const t = performance.now();
    await target.fill(user, raws);
    have += step;
    say(`delivered ${step} (now ${have}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await imap.command('CREATE Copies');
  await imap.command('SELECT INBOX', { collect: true });
  const n = Math.min(Number(values.ops), have);
  const operations: Array<[string, string]> = [
    ['COPY', `COPY 1:${n} Copies`],
    ['STORE +FLAGS', `STORE 1:${n} +FLAGS.SILENT (\\Flagged)`],
    ['STORE -FLAGS', `STORE 1:${n} -FLAGS.SILENT (\\Flagged)`],
  ];
  for (const [label, command] of operations) {
    const from = cpu();
    const t = performance.now();
    const reply = await imap.command(command);
    if (!/^\S+ OK/.test(reply.status)) throw new Error(`${command}: ${reply.status}`);
    say(`${label} of ${n} messages in a ${have}-message INBOX: ${Math.round(performance.now() - t)} ms; ${spent(from)}`);
  }
  await imap.logout();
} finally {
  await target.stop();
}
