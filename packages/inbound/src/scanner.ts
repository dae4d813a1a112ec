import { spawn } from 'node:child_process';

export type ScanVerdict = 'clean' | 'junk' | 'skipped';

export interface ScanBudget {
  timeoutMs: number;
  maxConcurrent: number;
}

export interface ScannerOptions extends ScanBudget {
  command: string[];
}

/** What the budget hands back when a scan did not finish: why it was skipped. */
export interface Skipped {
  verdict: 'skipped';
  detail: string;
}

let running = 0;

/**
 * Runs one scan within the time budget and the concurrency cap shared by every
 * scanner of this MX process. A scan that is slow, broken or would exceed
 * `maxConcurrent` yields "skipped" at once instead of making mail wait: the
 * budget decides, never the scanner (the 2014 flood). `scan` gets a signal
 * that fires when the budget runs out, so it can drop its work.
 */
export async function scanWithinBudget<T>(budget: ScanBudget, scan: (signal: AbortSignal) => Promise<T>): Promise<T | Skipped> {
  if (running >= budget.maxConcurrent) return { verdict: 'skipped', detail: `scanner busy (${running} running)` };
  running++;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Skipped>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve({ verdict: 'skipped', detail: `no verdict within ${budget.timeoutMs} ms` });
    }, budget.timeoutMs);
  });
  try {
    return await Promise.race([scan(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
    running--;
  }
}

/** The command scanner: reads the message on stdin, exits 0 (clean) or 1 (junk). */
export function scanMessage(raw: Buffer, options: ScannerOptions): Promise<{ verdict: ScanVerdict; detail: string }> {
  return scanWithinBudget(options, (signal) => runScanner(raw, options.command, signal));
}

function runScanner(raw: Buffer, command: string[], signal: AbortSignal): Promise<{ verdict: ScanVerdict; detail: string }> {
  return new Promise((resolve) => {
    const [bin, ...args] = command as [string, ...string[]];
    const child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    signal.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
    child.once('error', (err) => resolve({ verdict: 'skipped', detail: `scanner failed to start: ${err.message}` }));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve({ verdict: 'clean', detail: 'exit 0' });
      else if (code === 1) resolve({ verdict: 'junk', detail: 'exit 1' });
      else resolve({ verdict: 'skipped', detail: `scanner exited with ${signal ?? code}` });
    });
    // A scanner that stops reading early must not crash the MX with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(raw);
  });
}
