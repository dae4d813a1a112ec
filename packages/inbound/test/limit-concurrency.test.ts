import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const limit = require('haraka-plugin-limit') as {
  check_concurrency(this: unknown, next: (...answer: unknown[]) => void, connection: unknown): void;
};

/** A connection as far as check_concurrency reads it: a results store keyed by plugin name. */
function connection(concurrentCount?: number) {
  const added: Array<Record<string, unknown>> = [];
  const stored = concurrentCount === undefined ? undefined : { concurrent_count: concurrentCount };
  return {
    added,
    results: { get: () => stored, add: (_plugin: unknown, entry: Record<string, unknown>) => added.push(entry) },
  };
}

const plugin = {
  name: 'limit',
  get_limit: () => 3,
  penalize: (_c: unknown, _d: boolean, msg: string, next: (...answer: unknown[]) => void) => next('penalized', msg),
};

/**
 * Patch haraka-plugin-limit 001: a connection that arrives before the plugin's
 * Redis is connected has no concurrency count; check_concurrency threw on it
 * (a CRIT stack trace in the MX log at every start) instead of letting it in.
 */
describe('haraka-plugin-limit concurrency check', () => {
  it('lets a connection without a count in and records why, instead of throwing', () => {
    const conn = connection();
    const answers: unknown[][] = [];
    limit.check_concurrency.call(plugin, (...args) => answers.push(args), conn);
    expect(answers).toEqual([[]]);
    expect(conn.added).toEqual([{ err: 'concurrent.unset' }]);
  });

  it('still refuses a connection over the limit', () => {
    const conn = connection(4);
    const answers: unknown[][] = [];
    limit.check_concurrency.call(plugin, (...args) => answers.push(args), conn);
    expect(answers).toEqual([['penalized', 'Too many concurrent connections']]);
  });
});
