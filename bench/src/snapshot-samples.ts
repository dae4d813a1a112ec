import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSnapshot, restoreFull, verifySnapshot } from '@kura/snapshot';
import { ensureWildDuckIndexes, openDatabase } from '@kura/store';
import type { Sample } from './scenarios.ts';
import type { KuraTarget } from './stacks/kura.ts';

const MB = 1024 * 1024;

/**
 * Kura only: snapshot create, verify and full restore of the bench's store
 * (the filled read mailbox and the users), through the same functions
 * `kura snapshot` runs. The restore goes into a scratch database on the same
 * server, so the stack under test keeps its data.
 */
export async function snapshotSamples(kura: KuraTarget, runs: number, say: (line: string) => void): Promise<Sample[]> {
  const database = await openDatabase(kura.mongodbUri);
  const samples: Sample[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-snapshot-'));
      const scratch = database.client.db(`kura-bench-restore-${run}`);
      try {
        let t = performance.now();
        const created = await createSnapshot({ database, dest, chunkBytes: 64 * MB, kuraVersion: 'bench' });
        const createS = (performance.now() - t) / 1000;
        const snapshot = { id: created.id, dir: created.dir, manifest: created.manifest };
        t = performance.now();
        const verified = await verifySnapshot(snapshot);
        const verifyS = (performance.now() - t) / 1000;
        if (!verified.ok) throw new Error(`snapshot verify found problems: ${JSON.stringify(verified.problems).slice(0, 200)}`);
        t = performance.now();
        await restoreFull({ db: scratch }, snapshot, { verifyFirst: false, indexes: ensureWildDuckIndexes });
        const restoreS = (performance.now() - t) / 1000;
        const { messages, messageBytes } = created.manifest.totals;
        const scenario = 'Kura only: snapshot and restore of the bench store';
        const note = `${messages} messages, ${(messageBytes / MB).toFixed(0)} MB of mail`;
        const add = (metric: string, seconds: number) =>
          samples.push(
            { scenario, metric, unit: 'MB of mail/s', better: 'higher', target: 'kura', run, value: messageBytes / MB / seconds, note },
            { scenario, metric, unit: 'messages/s', better: 'higher', target: 'kura', run, value: messages / seconds, note },
          );
        add('snapshot create', createS);
        add('snapshot verify', verifyS);
        add('full restore (into an empty database, with indexes)', restoreS);
        say(`snapshot run ${run}: create ${createS.toFixed(1)} s, verify ${verifyS.toFixed(1)} s, restore ${restoreS.toFixed(1)} s`);
      } finally {
        await scratch.dropDatabase().catch(() => undefined);
        fs.rmSync(dest, { recursive: true, force: true });
      }
    }
  } finally {
    await database.close();
  }
  return samples;
}
