import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastEvent, runKura } from '../support/snapshot.js';
import { tempDataDir } from '../support/stack.js';

/** `kura snapshot prune` deletes exactly what the retention policy says; no database needed. */
describe('kura snapshot prune', () => {
  const dir = tempDataDir('prune');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('with retention 3 daily / 2 weekly / 2 monthly over 70 days of dailies', async () => {
    const dest = path.join(dir, 'snapshots');
    fs.writeFileSync(
      path.join(dir, 'kura.config.json'),
      JSON.stringify({ dataDir: 'data', snapshot: { dir: 'snapshots', retention: { daily: 3, weekly: 2, monthly: 2 } } }),
    );
    const ids: string[] = [];
    for (let d = new Date('2026-01-01T03:00:00Z'); d <= new Date('2026-03-11T03:00:00Z'); d = new Date(d.getTime() + 86_400_000)) {
      const id = d.toISOString().slice(0, 10);
      ids.push(id);
      fs.mkdirSync(path.join(dest, id), { recursive: true });
      fs.writeFileSync(path.join(dest, id, 'users.00000.bson.gz'), 'x');
      fs.writeFileSync(
        path.join(dest, id, 'manifest.json'),
        JSON.stringify({
          format: 'kura-snapshot',
          formatVersion: 1,
          id,
          createdAt: d.toISOString(),
          source: { consistency: 'none' },
          totals: { messages: 0, bytes: 1, compressedBytes: 1 },
          collections: [],
        }),
      );
    }
    // An interrupted run's leftovers are not snapshots: prune neither counts nor touches them.
    fs.mkdirSync(path.join(dest, '.tmp-20260311-040000Z'));

    const dry = await runKura(['snapshot', 'prune', '--dry-run'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(fs.readdirSync(dest)).toHaveLength(ids.length + 1);

    const run = await runKura(['snapshot', 'prune'], dir);
    expect(run.code, run.stderr).toBe(0);
    // 2026-03-11 is a Wednesday (ISO week 11); the newest of week 10 is Sunday 03-08; months: March, February.
    const expected = ['2026-02-28', '2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11'];
    expect(fs.readdirSync(dest).sort()).toEqual(['.tmp-20260311-040000Z', ...expected]);
    const event = lastEvent(run, 'pruned') as { pruned: string[] };
    expect([...event.pruned].sort()).toEqual(ids.filter((id) => !expected.includes(id)).sort());
    expect(lastEvent(dry, 'pruned')).toEqual({ ...lastEvent(run, 'pruned'), dryRun: true });
  }, 30_000);
});
