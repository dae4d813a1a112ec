import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { applyProjection } from '../src/ferretdb-compat.js';
import { NESTED_ARRAY_KEY, unwrapNestedArrays, wrapNestedArrays } from '../src/nested-arrays.js';
import { applyUpdatePipeline, upsertSeed } from '../src/pipeline-update.js';

describe('nested array codec', () => {
  const envelope = ['Mon, 1 Jan 2024', 'Subject', [['Name', null, 'user', 'example.org']], null];

  it('wraps arrays inside arrays and restores them exactly', () => {
    const doc = { _id: new ObjectId(), envelope, list: [1, 2], nested: { deep: [[1], [2, [3]]] } };
    const wrapped = wrapNestedArrays(doc);
    expect((wrapped.envelope as unknown[])[2]).toEqual({
      [NESTED_ARRAY_KEY]: [{ [NESTED_ARRAY_KEY]: ['Name', null, 'user', 'example.org'] }],
    });
    expect(unwrapNestedArrays(wrapped)).toEqual(doc);
  });

  it('leaves documents without nested arrays untouched (same object, no copy)', () => {
    const doc = { a: [1, 2], b: { c: 'x' }, id: new ObjectId() };
    expect(wrapNestedArrays(doc)).toBe(doc);
    expect(unwrapNestedArrays(doc)).toBe(doc);
  });

  it('does not mutate the caller’s document', () => {
    const doc = { envelope: [[1]] };
    wrapNestedArrays(doc);
    expect(doc).toEqual({ envelope: [[1]] });
  });
});

describe('projection applied client-side', () => {
  const doc = { _id: 1, storageUsed: 10, quota: 20, meta: { a: 1, b: 2 } };
  it('includes listed fields and _id', () => {
    expect(applyProjection(doc, { storageUsed: true })).toEqual({ _id: 1, storageUsed: 10 });
    expect(applyProjection(doc, { 'meta.a': 1, _id: 0 })).toEqual({ meta: { a: 1 } });
  });
  it('treats { _id: 1 } alone as an inclusion and keeps BSON values intact', () => {
    const id = new ObjectId();
    const projected = applyProjection({ _id: id, subject: 'x', ids: ['a'] }, { _id: 1 });
    expect(projected).toEqual({ _id: id });
    expect(projected._id).toBeInstanceOf(ObjectId);
  });
  it('keeps BSON values intact when excluding, and leaves the source untouched', () => {
    const id = new ObjectId();
    const source = { _id: id, meta: { a: 1, b: 2 } };
    const projected = applyProjection(source, { 'meta.b': 0 });
    expect(projected._id).toBeInstanceOf(ObjectId);
    expect(projected).toEqual({ _id: id, meta: { a: 1 } });
    expect(source.meta).toEqual({ a: 1, b: 2 });
    expect(applyProjection(source, { _id: 0 })).toEqual({ meta: { a: 1, b: 2 } });
  });
  it('excludes fields in exclusion mode', () => {
    expect(applyProjection(doc, { quota: 0, 'meta.b': 0 })).toEqual({ _id: 1, storageUsed: 10, meta: { a: 1 } });
  });
});

describe('update pipeline evaluation (thread bookkeeping as WildDuck writes it)', () => {
  const userId = new ObjectId();
  const threadPipeline = (refs: string[], subject: string) => [
    {
      $set: {
        ids: { $cond: [{ $isArray: '$ids' }, '$ids', ['$ids']] },
        user: { $ifNull: ['$user', userId] },
        subject: { $ifNull: ['$subject', { $literal: subject }] },
      },
    },
    { $set: { ids: { $setUnion: ['$ids', refs] } } },
  ];

  it('creates a thread on upsert like MongoDB (missing field becomes null in the array)', () => {
    const seed = upsertSeed({ user: userId, ids: { $in: ['a'] }, subject: 'hi' });
    const result = applyUpdatePipeline(seed, threadPipeline(['a', 'b'], 'hi'));
    expect(result.user).toBe(userId);
    expect(result.subject).toBe('hi');
    expect(result.ids).toEqual([null, 'a', 'b']);
    expect(result._id).toBeInstanceOf(ObjectId);
  });

  it('merges references into an existing thread without duplicates', () => {
    const existing = { _id: new ObjectId(), user: userId, subject: '$weird', ids: ['a', 'b'] };
    const result = applyUpdatePipeline(existing, threadPipeline(['b', 'c'], 'other'));
    expect(result.ids).toEqual(['a', 'b', 'c']);
    expect(result.subject).toBe('$weird');
  });

  it('refuses operators it does not implement instead of guessing', () => {
    expect(() => applyUpdatePipeline({}, [{ $set: { x: { $toUpper: 'a' } } }])).toThrow(/\$toUpper/);
    expect(() => applyUpdatePipeline({}, [{ $replaceWith: {} }])).toThrow(/\$replaceWith/);
  });
});
