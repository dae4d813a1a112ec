/**
 * Preloaded (`node --import`) into a WildDuck instance of the secured
 * profile. Kura's certificates are files:
 *
 * - they are re-read when either file changes (a certbot deploy hook replaces
 *   them), by asking WildDuck's own config module to reload, which hands the
 *   new certificates to every TLS listener. The pinned WildDuck answers SIGHUP
 *   with a heap snapshot, so a file change is the reload signal here;
 * - WildDuck's per-servername certificates in the database (and ACME) are not
 *   used, so the SNI lookup is switched off: it queried the data tier on every
 *   handshake that names a server, and with the data tier down every such
 *   client waited 5 s and lost its TLS session instead of getting an answer.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const files = (process.env.KURA_TLS_WATCH ?? '').split(':').filter(Boolean);
const wildduckMain = process.argv[1];

if (files.length > 0 && wildduckMain) {
  const require = createRequire(wildduckMain);
  // After WildDuck's modules are loaded (its listeners look the function up at each handshake):
  // no certificate from the database, so the listener's own (from the files) is used.
  setImmediate(() => {
    const certs = require(path.join(path.dirname(wildduckMain), 'lib', 'certs.js')) as { getContextForServername: unknown };
    certs.getContextForServername = async () => false;
  });
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    // A renewal writes key and certificate one after the other: reload once, after both.
    clearTimeout(timer);
    timer = setTimeout(() => {
      // wild-config keeps its reload function on the emitter that its `on()` returns; calling it re-reads the
      // config and emits 'reload', on which WildDuck re-reads the certificates for every TLS listener.
      const config = require('@zone-eu/wild-config') as { on: (event: string, listener: () => void) => { reload?: () => void } };
      const events = config.on('kura-tls-reload', () => {});
      if (typeof events.reload !== 'function') throw new Error('this WildDuck version cannot reload its config: restart it');
      events.reload();
      process.stderr.write(`${JSON.stringify({ level: 'info', msg: 'TLS certificates reloaded', files })}\n`);
    }, 500);
  };
  for (const file of files) fs.watchFile(file, { interval: 1_000 }, (now, before) => now.mtimeMs !== before.mtimeMs && reload());
}
