import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../support/corpus/generate.js';
import { realWorldMessages } from '../support/corpus/real-world.js';

const require = createRequire(import.meta.url);
// WildDuck's MIME tree parser as Kura runs it (patches/…+017+mime-line-scan.patch applied by patch-package)
const parse = require('@zone-eu/wildduck/imap-core/lib/indexer/parse-mime-tree.js');

interface LineReader {
  rfc822: string;
  _pos: number;
  _br: string | false;
  readLine(): string | false;
  rawBody?: string;
}
type ParserClass = new (
  rfc822: string | Buffer,
  base?: number,
) => LineReader & { parse(): void; finalizeTree(): void; tree: { childNodes: object[] } };
const MIMEParser: ParserClass = parse.MIMEParser;

/** WildDuck's own line reader before the patch, kept here as the reference it must agree with. */
class ExpressionLines extends MIMEParser {
  override readLine(): string | false {
    const match = this.rfc822.substr(this._pos).match(/(.*?)(\r*\n|\r(?!\n)|\r*$)/);
    if (match) {
      this._br = match[2] || false;
      this._pos += match[0].length;
      return match[1] ?? '';
    }
    return false;
  }
}

/** Every line, line break and position the reader gives until the input ends. */
function lines(reader: LineReader): Array<[string | false, string | false, number]> {
  const out: Array<[string | false, string | false, number]> = [];
  for (let guard = 0; typeof reader._br === 'string' && guard < 100_000; guard++) {
    const line = reader.readLine();
    out.push([line, reader._br, reader._pos]);
  }
  return out;
}

function treeOf(Parser: ParserClass, raw: Buffer) {
  const parser = new Parser(raw);
  parser.parse();
  parser.finalizeTree();
  return JSON.parse(JSON.stringify(parser.tree.childNodes[0] ?? null));
}

/** Inputs made of the characters that decide where lines end, in every short combination and at random. */
function trickyInputs(): string[] {
  const alphabet = ['a', '\r', '\n', '.', '-', ' ', '\u00e9', '\u00ff'];
  const out: string[] = [''];
  const combos = (prefix: string, depth: number) => {
    if (depth === 0) return;
    for (const c of alphabet) {
      out.push(prefix + c);
      combos(prefix + c, depth - 1);
    }
  };
  combos('', 4);
  let seed = 17;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const length = Math.floor(next() * 200);
    for (let j = 0; j < length; j++) s += next() < 0.7 ? 'x' : alphabet[Math.floor(next() * alphabet.length)];
    out.push(s);
  }
  return out;
}

describe('WildDuck MIME parser line reader', () => {
  it('splits every input into the same lines and line breaks as the expression it replaced', () => {
    const differences: string[] = [];
    for (const input of trickyInputs()) {
      const raw = Buffer.from(input, 'binary');
      const got = lines(new MIMEParser(raw));
      const want = lines(new ExpressionLines(raw));
      if (JSON.stringify(got) !== JSON.stringify(want)) differences.push(JSON.stringify(input));
    }
    expect(differences).toEqual([]);
  });

  it('builds the same MIME tree as before for the generated and real-world corpus', () => {
    const messages = [...generateCorpus().map((m) => ({ name: m.name, raw: m.raw })), ...realWorldMessages()];
    expect(messages.length).toBeGreaterThan(100);
    const differences = messages
      .filter(({ raw }) => JSON.stringify(treeOf(MIMEParser, raw)) !== JSON.stringify(treeOf(ExpressionLines, raw)))
      .map(({ name }) => name);
    expect(differences).toEqual([]);
  });

  it('keeps no second copy of the message body while parsing', () => {
    const raw = Buffer.from(`Subject: x\r\nContent-Type: text/plain\r\n\r\n${'line of body text\r\n'.repeat(5000)}`);
    const parser = new MIMEParser(raw);
    parser.parse();
    // the parser kept every body line joined in a never-read string as well (about the message's size again)
    expect(parser.rawBody ?? '').toBe('');
  });
});
