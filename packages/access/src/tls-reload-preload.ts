/**
 * Preloaded (`node --import`) into a WildDuck instance of the secured
 * profile: re-reads the certificate and key when either file changes (a
 * certbot deploy hook replaces them), by asking WildDuck's own config module
 * to reload, which hands the new certificates to every TLS listener. The
 * pinned WildDuck answers SIGHUP with a heap snapshot, so a file change is
 * the reload signal here.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const files = (process.env.KURA_TLS_WATCH ?? '').split(':').filter(Boolean);
const wildduckMain = process.argv[1];

if (files.length > 0 && wildduckMain) {
  const require = createRequire(wildduckMain);
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
