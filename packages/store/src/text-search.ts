import type { Document } from 'mongodb';
import { wildDuckIndexes } from './indexes.js';

/**
 * `$text` for the local data tier (FerretDB 1.24 has neither text indexes nor
 * `$text`). Part of the FerretDB adapter, never installed against MongoDB.
 *
 * A `$text` clause in a query on a collection that has a text index in
 * WildDuck's indexes.yaml is replaced, on its way to the server, by regular
 * expressions over that index's fields, following MongoDB's rules for the
 * search string: a document matches when it holds any of the terms as a whole
 * token (case-insensitively), every quoted phrase as a substring, and none of
 * the negated (`-term`, `-"phrase"`) ones; negations alone match nothing.
 * What MongoDB does and this does not: English stemming ("messages" also finds
 * "message"), stop words (MongoDB ignores "the"), diacritic folding ("café"
 * also finds "cafe") and relevance scores. See docs/compatibility.md.
 */

export interface TextSearch {
  terms: string[];
  negatedTerms: string[];
  phrases: string[];
  negatedPhrases: string[];
}

/** Characters that belong to a token; everything else delimits (MongoDB: white space, punctuation, syntax). */
const TOKEN_CHAR = /[\p{L}\p{N}\p{M}_]/u;
/** The same class for Go's RE2, which FerretDB evaluates `$regex` with. */
const NOT_TOKEN_RE2 = '[^\\p{L}\\p{N}\\p{M}_]';

/** Splits a `$search` string the way MongoDB's text query parser does. */
export function parseTextSearch(search: string): TextSearch {
  const out: TextSearch = { terms: [], negatedTerms: [], phrases: [], negatedPhrases: [] };
  let negation = false;
  let inPhrase = false;
  let phraseStart = 0;
  let afterSpace = true;
  let i = 0;
  while (i < search.length) {
    const ch = search[i] as string;
    if (TOKEN_CHAR.test(ch)) {
      let end = i + 1;
      while (end < search.length && TOKEN_CHAR.test(search[end] as string)) end++;
      const term = search.slice(i, end).toLowerCase();
      // Terms inside a negated phrase only belong to the phrase.
      if (!(inPhrase && negation)) (negation && !inPhrase ? out.negatedTerms : out.terms).push(term);
      if (!inPhrase) negation = false;
      afterSpace = false;
      i = end;
      continue;
    }
    if (ch === '-' && !inPhrase && afterSpace) negation = true;
    else if (ch === '"') {
      if (inPhrase) {
        const phrase = search.slice(phraseStart + 1, i);
        if (phrase.trim()) (negation ? out.negatedPhrases : out.phrases).push(phrase);
        negation = false;
      }
      inPhrase = !inPhrase;
      phraseStart = i;
    }
    afterSpace = /\s/u.test(ch);
    i++;
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RE2 pattern for `term` as a whole token. */
export function tokenPattern(term: string): string {
  return `(?:^|${NOT_TOKEN_RE2})${escapeRegex(term)}(?:${NOT_TOKEN_RE2}|$)`;
}

/** The filter that stands in for `{$text: textQuery}` over the given indexed fields. */
export function textSearchFilter(textQuery: Document, fields: string[]): Document {
  const search = typeof textQuery.$search === 'string' ? textQuery.$search : '';
  const options = textQuery.$caseSensitive === true ? '' : 'i';
  const { terms, negatedTerms, phrases, negatedPhrases } = parseTextSearch(search);
  const anyField = (pattern: string): Document[] => fields.map((field) => ({ [field]: { $regex: pattern, $options: options } }));
  const phrase = (text: string): Document => ({ $or: anyField(escapeRegex(text)) });

  const clauses: Document[] = [];
  if (phrases.length) clauses.push(...phrases.map(phrase));
  else if (terms.length) clauses.push({ $or: terms.flatMap((term) => anyField(tokenPattern(term))) });
  // Only negations: MongoDB matches nothing.
  else clauses.push({ _id: { $in: [] } });
  const excluded = [...negatedTerms.flatMap((term) => anyField(tokenPattern(term))), ...negatedPhrases.map(phrase)];
  if (excluded.length) clauses.push({ $nor: excluded });
  return clauses.length === 1 ? (clauses[0] as Document) : { $and: clauses };
}

let textFieldsByCollection: Map<string, string[]> | undefined;

/** Fields of each collection's text index, from WildDuck's indexes.yaml (read once). */
export function textIndexFields(): Map<string, string[]> {
  if (!textFieldsByCollection) {
    textFieldsByCollection = new Map();
    for (const spec of wildDuckIndexes()) {
      const fields = Object.entries(spec.index.key).flatMap(([field, kind]) => (kind === 'text' ? [field] : []));
      if (fields.length) textFieldsByCollection.set(spec.collection, fields);
    }
  }
  return textFieldsByCollection;
}

/** Replaces `$text` clauses (top level, or inside `$and`/`$or`/`$nor`) in a query filter. */
export function rewriteTextFilter(filter: unknown, fields: string[]): unknown {
  if (!isPlainObject(filter)) return filter;
  let out: Document | undefined;
  for (const key of ['$and', '$or', '$nor']) {
    const branches = filter[key];
    if (!Array.isArray(branches)) continue;
    const next = branches.map((branch) => rewriteTextFilter(branch, fields));
    if (next.some((branch, i) => branch !== branches[i])) {
      out ??= { ...filter };
      out[key] = next;
    }
  }
  if (isPlainObject(filter.$text)) {
    out ??= { ...filter };
    const { $text, ...rest } = out;
    const replacement = textSearchFilter($text as Document, fields);
    out = { ...rest, $and: [...(Array.isArray(rest.$and) ? rest.$and : []), replacement] };
  }
  return out ?? filter;
}

/** Whether a filter holds `$text` where MongoDB allows it: top level, or inside `$and`/`$or`/`$nor`. */
function hasText(filter: unknown): boolean {
  if (!isPlainObject(filter)) return false;
  if ('$text' in filter) return true;
  return ['$and', '$or', '$nor'].some((key) => Array.isArray(filter[key]) && (filter[key] as unknown[]).some(hasText));
}

/**
 * Rewrites the query of a command document (find, aggregate's `$match` stages,
 * count, distinct, findAndModify) whose collection has a text index. Any other
 * command, and any command without `$text`, is returned as the same object.
 */
export function rewriteTextCommand(command: Document): Document {
  const name = ['find', 'aggregate', 'count', 'distinct', 'findAndModify'].find((n) => typeof command[n] === 'string');
  if (!name) return command;
  const key = name === 'find' ? 'filter' : 'query';
  const pipeline = name === 'aggregate' && Array.isArray(command.pipeline) ? (command.pipeline as unknown[]) : undefined;
  const found = pipeline ? pipeline.some((stage) => isPlainObject(stage) && hasText(stage.$match)) : hasText(command[key]);
  if (!found) return command;
  // No text index known for the collection: the server answers as MongoDB would without one (an error).
  const fields = textIndexFields().get(command[name] as string);
  if (!fields) return command;
  if (pipeline) {
    const next = pipeline.map((stage) =>
      isPlainObject(stage) && '$match' in stage ? { ...stage, $match: rewriteTextFilter(stage.$match, fields) } : stage,
    );
    return { ...command, pipeline: next };
  }
  return { ...command, [key]: rewriteTextFilter(command[key], fields) };
}

function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
