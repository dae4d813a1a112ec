/**
 * FerretDB 1.x cannot store an array directly inside another array, and
 * WildDuck's message documents hold two (the IMAP ENVELOPE and BODYSTRUCTURE).
 * On the local data tier every such inner array travels wrapped in a one-key
 * document and is unwrapped again when read, so callers see the same documents
 * MongoDB would give them. Nothing queries inside these arrays.
 */
export const NESTED_ARRAY_KEY = '__kuraNestedArray';

/** Wraps arrays found directly inside arrays. Returns the input itself when nothing needed wrapping. */
export function wrapNestedArrays<T>(value: T): T {
  return walk(value, false, wrapArray) as T;
}

/** Undoes wrapNestedArrays. Returns the input itself when nothing was wrapped. */
export function unwrapNestedArrays<T>(value: T): T {
  return walk(value, false, unwrapDocument) as T;
}

type Rewrite = (value: unknown, insideArray: boolean) => unknown;

function wrapArray(value: unknown, insideArray: boolean): unknown {
  return insideArray && Array.isArray(value) ? { [NESTED_ARRAY_KEY]: value } : value;
}

function unwrapDocument(value: unknown): unknown {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === NESTED_ARRAY_KEY) return value[NESTED_ARRAY_KEY];
  }
  return value;
}

function walk(value: unknown, insideArray: boolean, rewrite: Rewrite): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = walk(item, true, rewrite);
      if (next === item) return;
      copy ??= [...value];
      copy[i] = next;
    });
    return rewrite(copy ?? value, insideArray);
  }
  if (isPlainObject(value)) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = walk(item, false, rewrite);
      if (next === item) continue;
      copy ??= { ...value };
      copy[key] = next;
    }
    return rewrite(copy ?? value, insideArray);
  }
  return value;
}

/** Only plain documents are walked: BSON values (ObjectId, Binary, Date, Long …) are left as they are. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
