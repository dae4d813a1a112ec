/**
 * Profiling aid for the local data tier (not part of `npm run bench`): keeps one Kura stack whose reader holds a
 * large INBOX built by the bench's own generator (distinct messages delivered, the rest storage-level copies), then
 * times SELECT, FETCH (ENVELOPE FLAGS BODYSTRUCTURE), BODY.PEEK[], POP3 RETR and SEARCH, round after round.
 * With --data the store survives, so a changed FerretDB launcher reads the same store again.
 *
 *   KURA_FERRETDB_PPROF=127.0.0.1:6061 bash scripts/kura.sh node bench/read-profile.ts \
 *     --data /tmp/kura-read --messages 10000 --distinct 200 --rounds 2 [--bodies 200] [--pause 20]
 *
 * --pause N waits N seconds before each round (time to start `go tool pprof … ?seconds=…` on the data tier);
 * --headers N fetches ENVELOPE etc. of the first N messages only; --search adds the two SEARCHes (slow on a large
 * folder). Each figure is logged as soon as it is measured.
 */
import { parseArgs } from 'node:util';
import { ensureLocalTierIndexes } from '@kura/store';
import { MongoClient } from 'mongodb';
import { ImapConnection } from './src/clients/imap.ts';
import { Pop3Connection } from './src/clients/pop3.ts';
import { makeMessage, sizeMix } from './src/messages.ts';
import { cpuMs } from './src/procs.ts';
import { BODY_NEEDLE, HEADER_NEEDLE } from './src/scenarios.ts';
import { startKuraStack } from './src/stacks/kura.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    messages: { type: 'string', default: '2000' },
    distinct: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
    bodies: { type: 'string', default: '200' },
    pause: { type: 'string', default: '0' },
    headers: { type: 'string' },
    search: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
  },
});
const messages = Number(values.messages);
const distinct = Math.min(messages, Number(values.distinct));
const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const target = await startKuraStack({ dataDir: values.data, nodeOptions: values['node-options'] });
try {
  say(`stack up: imap ${target.ports.imap}, pop3 ${target.ports.pop3}, ${target.mongodbUri}, pids ${JSON.stringify(target.services())}`);
  const reader = await target.user('reader');
  const client = await MongoClient.connect(target.mongodbUri);
  const db = client.db();
  const user = await db.collection('users').findOne({ username: 'reader' });
  // the INBOX's UID counter, not a count: counting reads every message document on the local data tier
  const inbox = await db.collection('mailboxes').findOne({ user: user?._id, path: 'INBOX' });
  const have = Number(inbox?.uidNext ?? 1) - 1;
  if (have < messages) {
    let t = Date.now();
    if (have === 0) {
      const raws = sizeMix(distinct, 1000, 1024 * 1024).map((bytes, i) => ({
        raw: makeMessage({
          id: `reader-${i}`,
          to: reader.address,
          bytes,
          seed: 1000 + i,
          subjectExtra: i % 50 === 7 ? HEADER_NEEDLE : undefined,
          bodyExtra: i % 40 === 3 ? BODY_NEEDLE : undefined,
        }),
      }));
      await target.fill(reader, raws);
      say(`delivered ${distinct} distinct messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    t = Date.now();
    await target.clone(reader, messages, reader);
    say(`cloned up to ${messages} messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  // the MX creates them at start-up, but a store built by an older version gets them here (timed: the upgrade's cost)
  const indexing = Date.now();
  await ensureLocalTierIndexes(db);
  say(`local tier's own indexes ensured in ${((Date.now() - indexing) / 1000).toFixed(1)} s`);
  await client.close();

  for (let round = 1; round <= Number(values.rounds); round++) {
    if (Number(values.pause) > 0) {
      say(`round ${round} in ${values.pause} s`);
      await new Promise((r) => setTimeout(r, Number(values.pause) * 1000));
    }
    const imap = await ImapConnection.login(target.ports.imap, reader.login, reader.password, target.host);
    const pids = target.services();
    let cpu = { db: cpuMs(pids.ferretdb), imap: cpuMs(pids.wildduck) };
    const cpuSince = () => {
      const now = { db: cpuMs(pids.ferretdb), imap: cpuMs(pids.wildduck) };
      const used = `CPU: data tier ${Math.round(now.db - cpu.db)} ms, WildDuck ${Math.round(now.imap - cpu.imap)} ms`;
      cpu = now;
      return used;
    };
    let t = performance.now();
    const selected = await imap.command('SELECT INBOX', { collect: true });
    const exists = Number(selected.lines.map((l) => /^\* (\d+) EXISTS/.exec(l)?.[1]).find(Boolean) ?? 0);
    const selectMs = performance.now() - t;
    say(`SELECT ${Math.round(selectMs)} ms (${exists} messages); ${cpuSince()}`);
    const fetch = async (items: string, upTo: number) => {
      const start = performance.now();
      let bytes = 0;
      for (let from = 1; from <= upTo; from += 50) {
        const reply = await imap.command(`FETCH ${from}:${Math.min(upTo, from + 49)} ${items}`);
        if (!/^\S+ OK/.test(reply.status)) throw new Error(`FETCH ${items}: ${reply.status}`);
        bytes += reply.bytes;
      }
      return { ms: performance.now() - start, bytes };
    };
    const headerCount = Math.min(exists, Number(values.headers ?? exists));
    const headers = await fetch('(ENVELOPE FLAGS BODYSTRUCTURE)', headerCount);
    say(`FETCH (ENVELOPE FLAGS BODYSTRUCTURE) ${Math.round((headerCount / headers.ms) * 1000)} msgs/s (${headerCount}); ${cpuSince()}`);
    const bodyCount = Math.min(exists, Number(values.bodies));
    const bodies = await fetch('(BODY.PEEK[])', bodyCount);
    say(
      `FETCH BODY.PEEK[] ${((bodies.bytes / 1048576 / bodies.ms) * 1000).toFixed(2)} MB/s (${bodyCount}, ${(bodies.bytes / 1048576).toFixed(1)} MB); ${cpuSince()}`,
    );
    const search = async (criteria: string) => {
      const s = performance.now();
      const reply = await imap.command(`UID SEARCH ${criteria}`, { collect: true });
      const hits = reply.lines.filter((l) => l.startsWith('* SEARCH')).flatMap((l) => l.split(' ').slice(2)).length;
      return { ms: Math.round(performance.now() - s), hits, status: reply.status.slice(0, 60) };
    };
    const searchHeader = values.search ? await search(`HEADER Subject "${HEADER_NEEDLE}"`) : undefined;
    if (searchHeader) say(`SEARCH HEADER Subject ${searchHeader.ms} ms, ${searchHeader.hits} hits; ${cpuSince()}`);
    const searchBody = values.search ? await search(`BODY "${BODY_NEEDLE}"`) : undefined;
    if (searchBody) say(`SEARCH BODY ${searchBody.ms} ms, ${searchBody.hits} hits; ${cpuSince()}`);
    cpuSince();
    await imap.logout();

    const pop3 = await Pop3Connection.login(target.ports.pop3, reader.login, reader.password, target.host);
    t = performance.now();
    let popBytes = 0;
    for (let i = 1; i <= bodyCount; i++) popBytes += (await pop3.command(`RETR ${i}`, true)).bytes;
    const popMs = performance.now() - t;
    await pop3.quit();
    say(
      `POP3 RETR ${((popBytes / 1048576 / popMs) * 1000).toFixed(2)} MB/s (${bodyCount}, ${(popBytes / 1048576).toFixed(1)} MB); ${cpuSince()}`,
    );

    console.log(
      JSON.stringify({
        round,
        exists,
        selectMs: Math.round(selectMs),
        fetchHeadersPerSecond: Math.round((headerCount / headers.ms) * 1000),
        fetchHeadersMs: Math.round(headers.ms),
        bodies: bodyCount,
        bodyMBps: +((bodies.bytes / 1048576 / bodies.ms) * 1000).toFixed(2),
        retrMBps: +((popBytes / 1048576 / popMs) * 1000).toFixed(2),
        searchHeader,
        searchBody,
      }),
    );
  }
} finally {
  await target.stop();
}
