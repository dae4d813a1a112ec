import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../support/corpus/generate.js';
import { realWorldMessages } from '../support/corpus/real-world.js';

const require = createRequire(import.meta.url);
// WildDuck's indexer as Kura runs it (with patches/…exact-bytes.patch applied by patch-package).
const Indexer = require('@zone-eu/wildduck/imap-core/lib/indexer/indexer.js');

interface Contents {
  type?: string;
  value?: NodeJS.ReadableStream;
}

function bytes(result: Contents | string): Promise<Buffer> {
  if (typeof result === 'object' && result?.type === 'stream' && result.value) {
    const stream = result.value;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });
  }
  return Promise.resolve(Buffer.from(String(result ?? ''), 'binary'));
}

/** The tree as it comes back from the database: plain data, the source inline. */
function stored(indexer: { parseMimeTree(raw: Buffer): object }, raw: Buffer) {
  const tree = indexer.parseMimeTree(raw);
  return { ...JSON.parse(JSON.stringify(tree)), source: raw };
}

/** The patched indexer alone (no servers): every section of every corpus message is a slice of the original. */
describe('WildDuck indexer serves the original bytes', () => {
  const indexer = new Indexer();

  it('returns every section of the generated corpus byte for byte', async () => {
    const problems: string[] = [];
    for (const m of generateCorpus()) {
      const tree = stored(indexer, m.raw);
      if (!(await bytes(indexer.getContents(tree))).equals(m.raw)) problems.push(`${m.name} BODY[]`);
      if (indexer.getSize(tree) !== m.raw.length) problems.push(`${m.name} RFC822.SIZE`);
      for (const p of m.parts) {
        const at = (type: string) => bytes(indexer.getContents(tree, p.path === '' ? { type } : { path: p.path, type }));
        if (p.path === '') {
          if (!(await at('text')).equals(p.body ?? Buffer.alloc(0))) problems.push(`${m.name} BODY[TEXT]`);
          if (!(await at('header')).equals(p.mime ?? Buffer.alloc(0))) problems.push(`${m.name} BODY[HEADER]`);
          continue;
        }
        if (!(await at('content')).equals(p.body ?? Buffer.alloc(0))) problems.push(`${m.name} BODY[${p.path}]`);
        if (p.mime && p.mime.length > 0 && !(await at('mime')).equals(p.mime)) problems.push(`${m.name} BODY[${p.path}.MIME]`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('returns the real-world test mail of installed packages byte for byte, with partial fetches', async () => {
    const real = realWorldMessages();
    expect(real.length).toBeGreaterThan(5);
    for (const m of real) {
      const tree = stored(indexer, m.raw);
      expect((await bytes(indexer.getContents(tree))).equals(m.raw), m.name).toBe(true);
      const partial = indexer.getContents(tree, false, { startFrom: 10, maxLength: 100 });
      expect((await bytes(partial)).equals(m.raw.subarray(10, 110)), m.name).toBe(true);
    }
  });

  it('keeps the source out of the stored tree until storing, and the part sizes in BODYSTRUCTURE exact', () => {
    const m = generateCorpus().find((c) => c.name.includes('digest-lf')) ?? generateCorpus()[0];
    if (!m) throw new Error('empty corpus');
    const tree = indexer.parseMimeTree(m.raw);
    expect(Object.keys(tree)).not.toContain('rawSource');
    indexer.getMaildata(tree);
    expect(Buffer.from(tree.source).equals(m.raw)).toBe(true);
    const sizes = JSON.stringify(indexer.getBodyStructure(tree));
    for (const p of m.parts.filter((part) => part.path.length === 1 && part.path !== '1')) expect(sizes).toContain(String(p.body.length));
  });
});
