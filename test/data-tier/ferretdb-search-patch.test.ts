import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Runs the Go tests that Kura's FerretDB patches 0200 and 0201 (tools/ferretdb/patches)
 * carry for the query and aggregation operators of IMAP SEARCH, the API's
 * search, thread-collapsed listings and audits, against the patched module copy the
 * launcher is built from.
 */
const root = process.env.KURA_ROOT ?? process.cwd();
const source = path.join(root, '.kura/ferretdb-src');

describe.skipIf(!process.env.KURA_FERRETDB_BIN)('FerretDB patch: search and thread operators (Go tests)', () => {
  it('passes go test on the patched filter and aggregation packages', async () => {
    // The launcher binary may come from a shared tool dir: make sure the patched source is here (a no-op when current).
    await promisify(execFile)('bash', [path.join(root, 'tools/ferretdb/prepare-source.sh'), source], { cwd: root });
    const { stdout } = await promisify(execFile)('go', ['test', '-count=1', './internal/handler/common/...'], {
      cwd: source,
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/^ok\s+github\.com\/FerretDB\/FerretDB\/internal\/handler\/common\s/m);
    expect(stdout).toMatch(/^ok\s+github\.com\/FerretDB\/FerretDB\/internal\/handler\/common\/aggregations\/stages\s/m);
    expect(stdout).not.toMatch(/^FAIL/m);
  }, 300_000);
});
