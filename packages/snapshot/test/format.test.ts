import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserialize, serialize } from '../src/bson.js';
import { fsError, SnapshotError } from '../src/errors.js';
import { CollectionWriter, compareVersions, readChunk } from '../src/format.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kura-format-'));

describe('chunk files', () => {
  it('splits a collection into size-bounded gzip chunks and reads every document back in order', async () => {
    const dir = tmp();
    const writer = new CollectionWriter(dir, 'messages', 64 * 1024);
    const docs = Array.from({ length: 300 }, (_, i) => ({ i, body: crypto.randomBytes(1024).toString('base64'), nested: [[i, i + 1]] }));
    for (const doc of docs) await writer.write(serialize(doc));
    const chunks = await writer.finish();
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.reduce((n, c) => n + c.documents, 0)).toBe(300);
    // Bounded: a chunk closes once its compressed size passes the bound (plus what the compressor still buffered).
    for (const c of chunks) expect(c.compressedBytes).toBeLessThan(64 * 1024 + 64 * 1024);
    const back = [];
    for (const chunk of chunks) for await (const raw of readChunk(dir, chunk)) back.push(deserialize(raw));
    expect(back).toEqual(docs);
    fs.rmSync(dir, { recursive: true });
  });

  it('names a chunk whose bytes changed, even when it still decompresses', async () => {
    const dir = tmp();
    const writer = new CollectionWriter(dir, 'users', 1024 * 1024);
    await writer.write(serialize({ name: 'a' }));
    const [chunk] = await writer.finish();
    if (!chunk) throw new Error('no chunk');
    const bad = { ...chunk, sha256: '0'.repeat(64) };
    await expect(async () => {
      for await (const _ of readChunk(dir, bad)) {
        // drain
      }
    }).rejects.toThrow(new RegExp(`${chunk.file.replace(/\./g, '\\.')} fails its checksum`));
    fs.rmSync(path.join(dir, chunk.file));
    await expect(async () => {
      for await (const _ of readChunk(dir, chunk)) {
        // drain
      }
    }).rejects.toThrow(/is missing/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('errors and versions', () => {
  it('maps a full disk and a wrong path to operator errors with a fix', () => {
    const full = fsError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'writing x', '/snap/x');
    expect(full).toBeInstanceOf(SnapshotError);
    expect((full as SnapshotError).code).toBe('no-space');
    expect((full as SnapshotError).hint).toMatch(/free space/);
    expect((fsError(Object.assign(new Error('x'), { code: 'ENOTDIR' }), 'creating', '/a/b') as SnapshotError).code).toBe('bad-path');
  });

  it('compares schema versions numerically', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1')).toBe(0);
    expect(compareVersions('1.0', '2.0')).toBeLessThan(0);
  });
});
