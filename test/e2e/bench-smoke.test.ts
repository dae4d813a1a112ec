import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The benchmark harness end to end at its smallest: both stacks start, every
// scenario runs once against each, results and the Markdown table are
// written, and every process is gone afterwards. Speeds are not asserted here.
const root = path.resolve(import.meta.dirname, '..', '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-smoke-'));
let child: ChildProcess | undefined;

afterAll(() => {
  // SIGTERM lets the harness stop both stacks itself; only a hung harness needs more.
  if (child && child.exitCode === null) child.kill('SIGTERM');
  fs.rmSync(outDir, { recursive: true, force: true });
});

function runSmokeBench(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    child = spawn(
      process.execPath,
      [path.join(root, 'bench', 'src', 'main.ts'), '--smoke', '--results-dir', outDir, '--docs', path.join(outDir, 'BENCHMARKS.md')],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

interface Figure {
  scenario: string;
  metric: string;
  kura: { median: number | null };
  reference: { median: number | null };
}

describe('bench harness (smoke)', () => {
  it('measures every scenario on both stacks and writes JSON and Markdown', { timeout: 150_000 }, async () => {
    const { code, stderr } = await runSmokeBench();
    expect(code, stderr.slice(-3000)).toBe(0);

    const jsonFiles = fs.readdirSync(outDir).filter((f) => f.endsWith('.json'));
    expect(jsonFiles).toHaveLength(1);
    const report = JSON.parse(fs.readFileSync(path.join(outDir, jsonFiles[0] as string), 'utf8'));
    expect(report.mode).toBe('smoke');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.memoryBytes).toBeGreaterThan(0);
    for (const name of ['kura', 'node', 'ferretdb', 'wildduck', 'haraka', 'postfix', 'dovecot']) {
      expect(report.versions[name], name).toMatch(/\d/);
    }

    const figures = report.figures as Figure[];
    expect(figures.map((f) => f.metric)).not.toContain('run failed');
    const expected: Array<[string, string]> = [
      ['inbound SMTP', 'throughput'],
      ['inbound SMTP', 'time to visible p99'],
      ['flood fairness', '5 KB time to visible p99'],
      ['IMAP login', 'logins'],
      ['IMAP, 10-message mailbox', 'SELECT + FETCH (ENVELOPE FLAGS BODYSTRUCTURE), all'],
      ['IMAP, 10-message mailbox', 'full-body FETCH (BODY.PEEK[])'],
      // the read again once other users' mail (storage-level copies) fills the store
      ['IMAP, 10-message mailbox in a 20-message store', 'SELECT + FETCH (ENVELOPE FLAGS BODYSTRUCTURE), all'],
      ['IMAP, 4 idle connections', 'memory per connection (PSS)'],
      ['POP3, 10-message maildrop', 'RETR every message'],
    ];
    for (const [scenario, metric] of expected) {
      const figure = figures.find((f) => f.scenario.startsWith(scenario as string) && f.metric.startsWith(metric as string));
      expect(figure, `${scenario} / ${metric}`).toBeDefined();
      // Memory deltas of a handful of connections can be noise around zero; everything else must be a real measurement.
      if (metric.startsWith('memory')) continue;
      expect(figure?.kura.median, `kura: ${scenario} / ${metric}`).toBeGreaterThan(0);
      expect(figure?.reference.median, `reference: ${scenario} / ${metric}`).toBeGreaterThan(0);
    }

    // SEARCH may be refused by a data tier (then n/a with the server's answer); the reference must answer it.
    for (const metric of ['SEARCH HEADER Subject', 'SEARCH BODY']) {
      const figure = figures.find((f) => f.metric === metric);
      expect(figure?.reference.median, metric).toBeGreaterThan(0);
    }

    const markdown = fs.readFileSync(path.join(outDir, 'BENCHMARKS.md'), 'utf8');
    expect(markdown).toContain('| figure | Kura | reference | Kura/ref |');
    expect(markdown).toContain('### Largest gaps');

    // Nothing of either stack outlives the harness: every port it served on is closed again.
    const ports = Object.values(report.endpoints as Record<string, Record<string, number>>).flatMap((p) => Object.values(p));
    expect(ports.length).toBeGreaterThanOrEqual(6);
    for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
  });
});
