import fs from 'node:fs';
import path from 'node:path';

/**
 * Replaces the `heading` section of docs/BENCHMARKS.md (from `heading` to the
 * next `## `) with `section`, or appends it when the file has none yet. Used by
 * the benchmarks that keep one current section each (snapshots, import).
 */
export function writeBenchmarkSection(root: string, heading: string, section: string): void {
  const file = path.join(root, 'docs', 'BENCHMARKS.md');
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = doc.indexOf(heading);
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + 1);
    doc = doc.slice(0, start) + section + (next >= 0 ? doc.slice(next + 1) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${section}`;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
  process.stdout.write(`[bench] wrote ${path.relative(root, file)}\n`);
}
