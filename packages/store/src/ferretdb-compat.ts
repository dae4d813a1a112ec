import type { Collection, Document, FindOneAndUpdateOptions } from 'mongodb';
import { unwrapNestedArrays, wrapNestedArrays } from './nested-arrays.js';
import { applyUpdatePipeline, upsertSeed } from './pipeline-update.js';
import { rewriteTextCommand } from './text-search.js';

/**
 * Adapter for the local data tier only (FerretDB 1.24). Nested arrays are
 * wrapped at the driver's BSON boundary (see nested-arrays.ts). Its findAndModify
 * rejects the `fields` (projection) argument that the MongoDB driver sends for
 * findOneAndUpdate/Replace/Delete with a `projection` option, and WildDuck uses
 * that for every quota update. The adapter sends the command without the
 * projection and applies it to the returned document instead. The result is
 * the same document MongoDB would return. It also runs update pipelines
 * (which FerretDB 1.24 cannot) in process: read, compute, replace. That is not
 * atomic against a concurrent writer of the same document; WildDuck uses a
 * pipeline only for thread bookkeeping, where a lost race costs threading, not
 * mail. Queries with `$text` (which FerretDB lacks) get an equivalent filter
 * over the text index's fields (text-search.ts). It is never installed against
 * MongoDB. See docs/compatibility.md.
 */

type Projection = Record<string, unknown>;
type MethodName = 'findOneAndUpdate' | 'findOneAndReplace' | 'findOneAndDelete';
const METHODS: MethodName[] = ['findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete'];
const INSTALLED = Symbol.for('kura.ferretdbCompat');

interface BsonModule {
  serialize: (doc: Document, options?: unknown) => Buffer;
  deserialize: (buffer: Buffer, options?: unknown) => Document;
}

/**
 * Installs the adapter into the copy of the MongoDB driver that `requireFromCaller`
 * resolves (WildDuck and Kura share one hoisted copy). Safe to call twice.
 */
export function installFerretDbCompat(requireFromCaller: NodeJS.Require): void {
  const mongodb = requireFromCaller('mongodb') as { Collection: { prototype: object } };
  const proto = mongodb.Collection.prototype as Record<string | symbol, unknown>;
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  // The driver's wire code calls these through the module object at run time.
  const bson = requireFromCaller('mongodb/lib/bson.js') as BsonModule;
  const { serialize, deserialize } = bson;
  bson.serialize = (doc, options) => serialize(wrapNestedArrays(rewriteTextCommand(doc)), options);
  bson.deserialize = (buffer, options) => unwrapNestedArrays(deserialize(buffer, options));

  for (const name of METHODS) {
    const original = proto[name] as (...args: unknown[]) => Promise<{ value?: Document | null }>;
    // findOneAndDelete has no update argument: its options come one position earlier.
    const optionsIndex = name === 'findOneAndDelete' ? 1 : 2;
    proto[name] = function (this: Collection, ...args: unknown[]) {
      const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as (err: unknown, res?: unknown) => void) : undefined;
      const options = args[optionsIndex] as (FindOneAndUpdateOptions & { projection?: Projection }) | undefined;
      const pipeline = name === 'findOneAndUpdate' && Array.isArray(args[1]) ? (args[1] as Document[]) : undefined;
      if (!options?.projection && !pipeline) {
        return callback ? original.call(this, ...args, callback) : original.apply(this, args);
      }
      const { projection, ...rest } = options ?? {};
      args[optionsIndex] = rest;
      const running = pipeline ? pipelineFindOneAndUpdate(this, args[0] as Document, pipeline, rest) : original.apply(this, args);
      const result = running.then((res) => {
        if (res?.value && projection) res.value = applyProjection(res.value, projection);
        return res;
      });
      if (!callback) return result;
      result.then(
        (res) => callback(null, res),
        (err: unknown) => callback(err),
      );
      return undefined;
    };
  }
}

async function pipelineFindOneAndUpdate(
  collection: Collection,
  filter: Document,
  pipeline: Document[],
  options: FindOneAndUpdateOptions,
): Promise<{ value: Document | null; ok: 1 }> {
  const existing = await collection.findOne(filter);
  if (!existing && !options.upsert) return { value: null, ok: 1 };
  const updated = applyUpdatePipeline(existing ?? upsertSeed(filter), pipeline);
  if (existing) await collection.replaceOne({ _id: existing._id }, updated);
  else await collection.insertOne(updated);
  return { value: options.returnDocument === 'after' ? updated : existing, ok: 1 };
}

/**
 * MongoDB's projection semantics for plain inclusion or exclusion projections
 * (dotted paths included). `{ _id: 1 }` alone is an inclusion; `{ _id: 0 }`
 * alone an exclusion. BSON values (ObjectId, Binary, Date …) are kept as they are.
 */
export function applyProjection(doc: Document, projection: Projection): Document {
  const entries = Object.entries(projection);
  const including = entries.some(([key, value]) => isTruthy(value) && (key !== '_id' || entries.length === 1));
  if (!including) {
    let out: Document = { ...doc };
    for (const [key, value] of entries) if (!isTruthy(value)) out = withoutPath(out, key.split('.'));
    return out;
  }
  const out: Document = {};
  if (projection._id === undefined || isTruthy(projection._id)) {
    if ('_id' in doc) out._id = doc._id;
  }
  for (const [key, value] of entries) {
    if (key === '_id' || !isTruthy(value)) continue;
    copyPath(doc, out, key.split('.'));
  }
  return out;
}

function isTruthy(value: unknown): boolean {
  return value !== 0 && value !== false;
}

function isPlainDocument(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function copyPath(from: Document, to: Document, path: string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in from)) return;
  if (rest.length === 0) {
    to[head] = from[head];
    return;
  }
  const next = from[head];
  if (!isPlainDocument(next)) return;
  to[head] ??= {};
  copyPath(next, to[head] as Document, rest);
}

/** A copy of `doc` without the field at `path`, copying only the documents along the path. */
function withoutPath(doc: Document, path: string[]): Document {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in doc)) return doc;
  const out: Document = { ...doc };
  if (rest.length === 0) delete out[head];
  else if (isPlainDocument(doc[head])) out[head] = withoutPath(doc[head], rest);
  return out;
}
