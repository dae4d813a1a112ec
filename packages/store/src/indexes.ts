import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Db, IndexDescription } from 'mongodb';

interface IndexSpec {
  collection: string;
  index: IndexDescription & { name: string };
}

/** WildDuck's own index list (indexes.yaml of the pinned package), as its task runner reads it. */
export function wildDuckIndexes(): IndexSpec[] {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('@zone-eu/wildduck/package.json'));
  const yaml = createRequire(path.join(root, 'package.json'))('js-yaml') as { load(text: string): unknown };
  const parsed = yaml.load(fs.readFileSync(path.join(root, 'indexes.yaml'), 'utf8')) as { indexes?: IndexSpec[] };
  return parsed.indexes ?? [];
}

/**
 * Creates WildDuck's indexes the way WildDuck does at start-up: one at a time,
 * an index the server cannot build is reported and skipped (the local data
 * tier lacks some index options). Returns the names that failed.
 */
export async function ensureWildDuckIndexes(db: Db, collections?: Set<string>): Promise<string[]> {
  const failed: string[] = [];
  for (const spec of wildDuckIndexes()) {
    if (collections && !collections.has(spec.collection)) continue;
    try {
      await db.collection(spec.collection).createIndexes([spec.index]);
    } catch (err) {
      if ((err as { codeName?: string }).codeName !== 'IndexOptionsConflict') failed.push(`${spec.collection}.${spec.index.name}`);
    }
  }
  return failed;
}
