import fs from 'node:fs';
import path from 'node:path';

/**
 * Kura-only figures (snapshot/restore throughput, recovery time per HA drill)
 * are measured once those commands exist; until then the table says why the
 * row is empty.
 */
export function kuraOnlyFigures(root: string): string[] {
  const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
  const commands = fs.existsSync(bin) ? fs.readFileSync(bin, 'utf8') : '';
  const has = (name: string) => new RegExp(`\\.command\\('${name}\\b`).test(commands) || commands.includes(`/${name}.js'`);
  const snapshot = fs.existsSync(path.join(root, 'packages', 'snapshot', 'package.json')) && has('snapshot');
  const drill = has('drill');
  return [
    `snapshot and restore throughput: ${
      snapshot
        ? 'not measured: `kura snapshot` exists but the bench does not drive it yet'
        : 'not measured: no `kura snapshot` command in this tree when the bench ran'
    }`,
    `recovery time per HA drill: ${
      drill ? 'not measured: `kura drill` exists but the bench does not drive it yet' : 'not measured: no `kura drill` command in this tree when the bench ran'
    }`,
  ];
}
