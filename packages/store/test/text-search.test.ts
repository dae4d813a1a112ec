import { describe, expect, it } from 'vitest';
import { parseTextSearch, rewriteTextCommand, textIndexFields, textSearchFilter, tokenPattern } from '../src/text-search.js';

/** Evaluates the substitute filter the way FerretDB does, for the few shapes it produces. */
function matches(filter: Record<string, unknown>, doc: { text: string; headers: string[] }): boolean {
  if (Array.isArray(filter.$and)) return filter.$and.every((f) => matches(f, doc));
  if (Array.isArray(filter.$or)) return filter.$or.some((f) => matches(f, doc));
  if (Array.isArray(filter.$nor)) return !filter.$nor.some((f) => matches(f, doc));
  if ('_id' in filter) return false;
  const [field, cond] = Object.entries(filter)[0] as [string, { $regex: string; $options: string }];
  // RE2's \p classes mean the same in JavaScript with the u flag.
  const re = new RegExp(cond.$regex, `${cond.$options}u`);
  const values = field === 'text' ? [doc.text] : doc.headers;
  return values.some((v) => re.test(v));
}

const fields = ['headers.value', 'text'];
const docs = {
  fox: { text: 'The quick brown fox, jumps.', headers: ['hello world'] },
  dog: { text: 'lazy dog 日本語、テスト', headers: ['foxes'] },
  hyphen: { text: 'quick-brown stuff', headers: ['other'] },
};
function search(s: string): string[] {
  const filter = textSearchFilter({ $search: s }, fields);
  return Object.entries(docs)
    .filter(([, doc]) => matches(filter, doc))
    .map(([name]) => name);
}

describe('$text substitute (local data tier)', () => {
  it('parses terms, phrases and negations as MongoDB does', () => {
    expect(parseTextSearch('Foo -bar "Baz qux" -"no way" a-b')).toEqual({
      terms: ['foo', 'baz', 'qux', 'a', 'b'],
      negatedTerms: ['bar'],
      phrases: ['Baz qux'],
      negatedPhrases: ['no way'],
    });
    // WildDuck's AND search quotes every term
    expect(parseTextSearch('"alpha" "beta\\"x"').phrases).toEqual(['alpha', 'beta\\']);
    expect(parseTextSearch('"unterminated phrase').phrases).toEqual([]);
  });

  it('matches any term as a whole token, case-insensitively, in any indexed field', () => {
    expect(search('fox')).toEqual(['fox']);
    expect(search('FOX')).toEqual(['fox']);
    expect(search('foxes')).toEqual(['dog']);
    expect(search('quick')).toEqual(['fox', 'hyphen']);
    expect(search('hello lazy')).toEqual(['fox', 'dog']);
  });

  it('requires every phrase (as a substring) and ignores loose terms next to a phrase', () => {
    expect(search('"quick brown"')).toEqual(['fox']);
    expect(search('"quick" "stuff"')).toEqual(['hyphen']);
    expect(search('lazy "quick brown"')).toEqual(['fox']);
  });

  it('excludes negated terms and phrases; negations alone match nothing', () => {
    expect(search('quick -fox')).toEqual(['hyphen']);
    expect(search('quick -"brown fox"')).toEqual(['hyphen']);
    expect(search('-fox')).toEqual([]);
  });

  it('treats an unbroken Japanese run as one token, as MongoDB does, and finds parts of it by phrase', () => {
    expect(search('日本語')).toEqual(['dog']);
    expect(search('日本')).toEqual([]);
    expect(search('"日本"')).toEqual(['dog']);
  });

  it('escapes regular expression characters in terms', () => {
    expect(tokenPattern('a.b')).toContain('a\\.b');
    expect(textSearchFilter({ $search: '"1+1"' }, ['text'])).toEqual({ $or: [{ text: { $regex: '1\\+1', $options: 'i' } }] });
    expect(textSearchFilter({ $search: '"X"', $caseSensitive: true }, ['text'])).toEqual({
      $or: [{ text: { $regex: 'X', $options: '' } }],
    });
  });

  it("reads the text index's fields from WildDuck's indexes.yaml", () => {
    expect(textIndexFields().get('messages')).toEqual(['headers.value', 'text']);
  });

  it('rewrites find, count and aggregate $match, nested in $and/$or, and leaves other commands alone', () => {
    const text = { $search: 'fox' };
    const substitute = textSearchFilter(text, fields);
    const find = rewriteTextCommand({ find: 'messages', filter: { user: 1, $and: [{ uid: 2 }], $text: text } });
    expect(find.filter).toEqual({ user: 1, $and: [{ uid: 2 }, substitute] });
    const count = rewriteTextCommand({ count: 'messages', query: { $or: [{ $text: text, user: 1 }, { uid: 3 }] } });
    expect(count.query).toEqual({ $or: [{ user: 1, $and: [substitute] }, { uid: 3 }] });
    const aggregate = rewriteTextCommand({
      aggregate: 'messages',
      pipeline: [{ $match: { $text: text } }, { $group: { _id: '$thread' } }],
    });
    expect(aggregate.pipeline).toEqual([{ $match: { $and: [substitute] } }, { $group: { _id: '$thread' } }]);

    const insert = { insert: 'messages', documents: [{ $text: 1 }] };
    expect(rewriteTextCommand(insert)).toBe(insert);
    const plain = { find: 'messages', filter: { user: 1 } };
    expect(rewriteTextCommand(plain)).toBe(plain);
    // no text index on the collection: left for the server to refuse, as MongoDB would
    const other = { find: 'users', filter: { $text: text } };
    expect(rewriteTextCommand(other)).toBe(other);
  });
});
