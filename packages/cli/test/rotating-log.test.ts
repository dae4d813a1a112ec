import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLog } from '../src/stack/rotating-log.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-log-'));
  dirs.push(dir);
  return path.join(dir, 'svc.log');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('RotatingLog', () => {
  it('rotates by size, keeps the newest N files and loses no line', () => {
    const file = tempFile();
    const log = new RotatingLog(file, { maxBytes: 100, keep: 2 });
    const lines = Array.from({ length: 12 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'x'.repeat(30)}\n`);
    for (const line of lines) log.write(line);
    log.close();
    const files = fs.readdirSync(path.dirname(file)).sort();
    expect(files).toEqual(['svc.log', 'svc.log.1', 'svc.log.2']);
    for (const name of files) expect(fs.statSync(path.join(path.dirname(file), name)).size).toBeLessThanOrEqual(100);
    // The three files hold the last lines in order, the oldest rotated away.
    const kept = ['svc.log.2', 'svc.log.1', 'svc.log'].map((n) => fs.readFileSync(path.join(path.dirname(file), n), 'utf8')).join('');
    expect(lines.join('').endsWith(kept)).toBe(true);
    expect(kept.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(6);
  });

  it('appends to an existing file and counts its size', () => {
    const file = tempFile();
    fs.writeFileSync(file, 'a'.repeat(90));
    const log = new RotatingLog(file, { maxBytes: 100, keep: 1 });
    log.write('b'.repeat(20));
    log.close();
    expect(fs.readFileSync(`${file}.1`, 'utf8')).toBe('a'.repeat(90));
    expect(fs.readFileSync(file, 'utf8')).toBe('b'.repeat(20));
  });

  it('writes a line longer than the limit to a file of its own', () => {
    const file = tempFile();
    const log = new RotatingLog(file, { maxBytes: 10, keep: 3 });
    log.write('short\n');
    log.write(`${'y'.repeat(25)}\n`);
    log.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(`${'y'.repeat(25)}\n`);
    expect(fs.readFileSync(`${file}.1`, 'utf8')).toBe('short\n');
  });
});
