import { spawn } from 'node:child_process';

export type ScanVerdict = 'clean' | 'junk' | 'skipped';

export interface ScannerOptions {
  command: string[];
  timeoutMs: number;
  maxConcurrent: number;
}

let running = 0;

/**
 * Runs the content scanner on one message within its time budget. A scanner
 * that is slow, broken or already busy with `maxConcurrent` messages yields
 * "skipped" at once instead of making mail wait: scanning never holds
 * delivery hostage (the 2014 flood).
 */
export async function scanMessage(raw: Buffer, options: ScannerOptions): Promise<{ verdict: ScanVerdict; detail: string }> {
  if (running >= options.maxConcurrent) return { verdict: 'skipped', detail: `scanner busy (${running} running)` };
  running++;
  try {
    return await runScanner(raw, options);
  } finally {
    running--;
  }
}

function runScanner(raw: Buffer, { command, timeoutMs }: ScannerOptions): Promise<{ verdict: ScanVerdict; detail: string }> {
  return new Promise((resolve) => {
    const [bin, ...args] = command as [string, ...string[]];
    const child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ verdict: 'skipped', detail: `no verdict within ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ verdict: 'skipped', detail: `scanner failed to start: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ verdict: 'clean', detail: 'exit 0' });
      else if (code === 1) resolve({ verdict: 'junk', detail: 'exit 1' });
      else resolve({ verdict: 'skipped', detail: `scanner exited with ${signal ?? code}` });
    });
    // A scanner that stops reading early must not crash the MX with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(raw);
  });
}
