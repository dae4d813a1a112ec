import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Real-world test mail that installed packages ship (MIME torture tests,
 * client-generated mail, fixtures with missing blank lines): read from where
 * the packages install it, at test time; nothing is copied into Kura.
 */
const SOURCES: Array<{ pkg: string; dirs: string[] }> = [
  { pkg: '@zone-eu/wildduck', dirs: ['imap-core/test/fixtures', 'test/fixtures'] },
  { pkg: '@zone-eu/zone-mta', dirs: ['test/fixtures'] },
  { pkg: 'mailparser', dirs: ['test/fixtures', 'test'] },
  { pkg: '@zone-eu/mailsplit', dirs: ['test/fixtures', 'test'] },
  { pkg: 'libmime', dirs: ['test/fixtures', 'test'] },
];

export function realWorldMessages(): Array<{ name: string; raw: Buffer }> {
  const out: Array<{ name: string; raw: Buffer }> = [];
  for (const { pkg, dirs } of SOURCES) {
    let root: string;
    try {
      root = path.dirname(
        require.resolve(`${pkg}/package.json`, {
          paths: [path.resolve(import.meta.dirname, '../../../node_modules/@zone-eu/wildduck'), process.cwd()],
        }),
      );
    } catch {
      continue; // not installed, or its tests are not shipped
    }
    for (const dir of dirs) {
      const full = path.join(root, dir);
      if (!fs.existsSync(full)) continue;
      for (const file of fs.readdirSync(full).sort()) {
        if (file.endsWith('.eml')) out.push({ name: `${pkg}/${dir}/${file}`, raw: fs.readFileSync(path.join(full, file)) });
      }
    }
  }
  return out;
}

/** The same message with every line ending CRLF and a final CRLF: the form SMTP can carry. */
export function toSmtpForm(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/\r?\n|\r/g, '\r\n');
  return Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1');
}
