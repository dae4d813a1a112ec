import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Go's tests of Kura's FerretDB patches and of the launcher, on the patched module `npm test` built. */
async function goTest(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('go', ['test', '-count=1', ...args], {
    cwd,
    env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  return stdout;
}

describe.skipIf(!process.env.KURA_FERRETDB_BIN)("Kura's FerretDB patches (go test)", () => {
  it('filter pushdown never loses a document and reaches the indexes; projection pushdown decodes exact fields; covered reads; writes by _id use its index', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), [
      '-run',
      'TestPushdown|TestPartial|TestCovered|TestWritesByID|TestKuraDocumentPlaceholder',
      '-v',
      './internal/backends/sqlite/',
    ]);
    for (const name of [
      'TestPushdownNeverMisses',
      'TestPushdownUsesIndexes',
      'TestPushdownBinary',
      'TestPushdownRangeTight',
      'TestPushdownPathNeverMisses',
      'TestPushdownPathUsesIndexes',
      'TestPushdownByIDAlone',
      'TestPartialSJSON',
      'TestCoveredQueries',
      'TestCoveredPlan',
      'TestCoveredExplain',
      'TestCoveredIndexChosen',
      'TestWritesByIDUseIndex',
      'TestKuraDocumentPlaceholderStoresTheSameText',
    ])
      expect(out).toContain(`--- PASS: ${name}`);
  }, 300_000);

  it('an update command with more statements than the backend has connections completes (WildDuck STORE of 100+ messages)', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), [
      '-run',
      'TestUpdateStatementsCloseTheirQueries',
      '-v',
      './internal/handler/',
    ]);
    expect(out).toContain('--- PASS: TestUpdateStatementsCloseTheirQueries');
  }, 300_000);

  it('find, aggregate and getMore batches stay within 16 MiB and lose no document', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), [
      '-run',
      'TestBatchesCappedBySize|TestKuraGetMoreDefaultBatch',
      '-v',
      './internal/handler/',
    ]);
    expect(out).toContain('--- PASS: TestBatchesCappedBySize');
    // a getMore naming no batch size fills its reply (up to 16 MiB), as MongoDB's does
    expect(out).toContain('--- PASS: TestKuraGetMoreDefaultBatch');
  }, 300_000);

  it('the direct sjson decoder gives exactly what the encoding/json one gives, or leaves the text to it', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), ['-v', './internal/handler/sjson/']);
    for (const name of ['TestFastUnmarshalCanonical', 'TestFastUnmarshalNeverDiffers', 'TestMarshalUnmarshal', 'TestUnmarshalInvalid'])
      expect(out).toContain(`--- PASS: ${name}`);
  }, 300_000);

  it('a regular expression is compiled once for all the documents a filter checks, and matches as before', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), ['-v', '-run', 'TestKuraRegexCache|TestRegex', './internal/types/']);
    expect(out).toContain('--- PASS: TestKuraRegexCache');
  }, 300_000);

  it("a statement's debug line, with whole documents in its arguments, is built only when debug logging is on", async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), ['-v', '-run', 'TestKuraStatementLog', './internal/util/fsql/']);
    expect(out).toContain('--- PASS: TestKuraStatementLogOnlyWhenDebug');
  }, 300_000);

  it('lifetime tracking of iterators stays on in tests and is skipped in a release launcher', async () => {
    const out = await goTest(path.join(root, '.kura/ferretdb-src'), ['-v', '-run', 'TestKuraTrackingSwitch', './internal/util/resource/']);
    expect(out).toContain('--- PASS: TestKuraTrackingSwitch');
  }, 300_000);

  it("the launcher lets reads pass writes and runs writes to one collection one at a time; SQLite's memory functions keep C's semantics; its collector settings yield to the operator's", async () => {
    const out = await goTest(path.join(root, 'tools/ferretdb'), ['-v', '.']);
    for (const name of ['TestClassify', 'TestCommandLocks', 'TestLibcMemoryFunctions', 'TestSlowCommandLog', 'TestKuraGCSettings'])
      expect(out).toContain(`--- PASS: ${name}`);
  }, 300_000);
});
