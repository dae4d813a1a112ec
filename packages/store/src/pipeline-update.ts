import { type Document, ObjectId } from 'mongodb';

/**
 * Evaluates an update pipeline ($set/$addFields/$unset stages) against one
 * document in process, for the local data tier which cannot run pipeline
 * updates (FerretDB 1.24). Supports the expression operators WildDuck uses;
 * anything else fails loudly instead of computing something different.
 */
export function applyUpdatePipeline(doc: Document, pipeline: Document[]): Document {
  let current: Document = { ...doc };
  for (const stage of pipeline) {
    const [name, spec] = Object.entries(stage)[0] ?? [];
    if (name === '$set' || name === '$addFields') {
      const next = { ...current };
      for (const [field, expr] of Object.entries(spec as Document)) setPath(next, field, evaluate(expr, current));
      current = next;
    } else if (name === '$unset') {
      for (const field of [spec].flat() as string[]) delete current[field];
    } else {
      throw new Error(`update pipeline stage ${name} is not supported on the local data tier`);
    }
  }
  return current;
}

/** The document an upsert starts from: the filter's plain equality fields (as MongoDB seeds it). */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$') || key.includes('.')) continue;
    if (isOperatorObject(value)) continue;
    seed[key] = value;
  }
  seed._id ??= new ObjectId();
  return seed;
}

function isOperatorObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof ObjectId || value instanceof Date)
    return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

export function evaluate(expr: unknown, doc: Document): unknown {
  if (typeof expr === 'string' && expr.startsWith('$')) return getPath(doc, expr.slice(1)) ?? null;
  if (Array.isArray(expr)) return expr.map((item) => evaluate(item, doc));
  if (!isOperatorObject(expr)) return expr;
  const [op, raw] = Object.entries(expr as Document)[0] as [string, unknown];
  const args = (): unknown[] => (Array.isArray(raw) ? raw : [raw]).map((a) => evaluate(a, doc));
  switch (op) {
    case '$literal':
      return raw;
    case '$isArray':
      return Array.isArray(args()[0]);
    case '$ifNull': {
      const values = args();
      return values.find((v) => v !== null && v !== undefined) ?? values[values.length - 1] ?? null;
    }
    case '$cond': {
      const [cond, then, otherwise] = Array.isArray(raw) ? raw : [(raw as Document).if, (raw as Document).then, (raw as Document).else];
      return evaluate(cond, doc) ? evaluate(then, doc) : evaluate(otherwise, doc);
    }
    case '$setUnion': {
      const out: unknown[] = [];
      for (const list of args()) {
        for (const item of (list as unknown[] | null) ?? []) if (!out.some((seen) => sameValue(seen, item))) out.push(item);
      }
      return out;
    }
    default:
      throw new Error(`update pipeline operator ${op} is not supported on the local data tier`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof ObjectId && b instanceof ObjectId) return a.equals(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function getPath(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Document)[part];
  }
  return value;
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    target[part] = { ...((target[part] as Document | undefined) ?? {}) };
    target = target[part] as Document;
  }
  target[parts[parts.length - 1] as string] = value;
}
