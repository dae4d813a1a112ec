import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../support/corpus/generate.js';

/** The corpus must be what it claims: several hundred distinct messages whose expected parts lie in them. */
describe('MIME corpus generator', () => {
  const corpus = generateCorpus();

  it('builds several hundred distinct messages, a good share of them SMTP-safe', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(new Set(corpus.map((m) => m.name)).size).toBe(corpus.length);
    expect(new Set(corpus.map((m) => m.raw.toString('latin1'))).size).toBe(corpus.length);
    expect(corpus.filter((m) => m.smtp).length).toBeGreaterThanOrEqual(100);
  });

  it('marks as SMTP-safe only CRLF messages that end with CRLF', () => {
    for (const m of corpus.filter((c) => c.smtp)) {
      const text = m.raw.toString('latin1');
      expect(text.replace(/\r\n/g, '').includes('\n') || text.replace(/\r\n/g, '').includes('\r'), m.name).toBe(false);
      expect(text.endsWith('\r\n'), m.name).toBe(true);
    }
  });

  it('places every part header and body contiguously inside its message', () => {
    for (const m of corpus) {
      for (const part of m.parts) {
        const joined = Buffer.concat([part.mime ?? Buffer.alloc(0), part.body]);
        expect(m.raw.includes(joined), `${m.name} ${part.path}`).toBe(true);
      }
    }
  });
});
