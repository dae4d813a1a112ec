import { createRequire } from 'node:module';
import { copyMimeTree, type MimeNode } from '@kura/store';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../support/corpus/generate.js';

const require = createRequire(import.meta.url);
// WildDuck's indexer as Kura runs it (with patches/…exact-bytes.patch applied by patch-package).
const Indexer = require('@zone-eu/wildduck/imap-core/lib/indexer/indexer.js');

interface Maildata {
  magic: number;
  nodes: Array<{ body?: Buffer }>;
  [field: string]: unknown;
}

/** Maildata without what WildDuck draws at random (magic number, names of unnamed attachments). */
function comparable(maildata: Maildata): string {
  return JSON.stringify({ ...maildata, magic: 0, nodes: maildata.nodes.map((n) => ({ ...n, magic: 0 })) }).replace(
    /"filename":"[0-9a-f]{8}\.[a-z0-9]+"/g,
    '"filename":"random"',
  );
}

/**
 * The MX parses a message once per transaction (packages/store/src/parsed-message.ts) and gives WildDuck copies of
 * the tree, because WildDuck rewrites the tree it stores. A copy must store what parsing the raw message again
 * would store, the original bytes included, and must leave the shared tree as it was.
 */
describe('copies of the shared MIME tree', () => {
  const indexer = new Indexer();

  it('yield what a fresh parse yields, keep the original bytes, and leave the shared tree unchanged', () => {
    const problems: string[] = [];
    for (const m of generateCorpus()) {
      const source = indexer.parseMimeTree(m.raw) as MimeNode;
      const before = JSON.stringify(source);
      for (const recipient of ['first', 'second']) {
        const copy = copyMimeTree(source);
        const maildata = indexer.getMaildata(copy) as Maildata;
        if (comparable(maildata) !== comparable(indexer.getMaildata(indexer.parseMimeTree(m.raw))))
          problems.push(`${m.name} ${recipient}: maildata`);
        // the original bytes reach the stored document: inline, or as the SOURCE node stored in GridFS
        const kept = Buffer.isBuffer(copy.source) ? copy.source.equals(m.raw) : maildata.nodes.some((n) => n.body?.equals?.(m.raw));
        if (!kept) problems.push(`${m.name} ${recipient}: original bytes`);
        // what storing does to its tree: headers added, bodies moved out
        copy.header?.unshift('X-Added: by the copy');
        for (const child of copy.childNodes ?? []) child.body = undefined;
      }
      if (JSON.stringify(source) !== before) problems.push(`${m.name}: shared tree changed`);
    }
    expect(problems).toEqual([]);
  });
});
