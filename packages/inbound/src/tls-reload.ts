/**
 * Haraka reads the MX certificate once (tls.ini → its tls_socket module).
 * Kura re-reads it when the certificate or key file changes (a certbot deploy
 * hook replaces them) and on SIGHUP, like the WildDuck side
 * (packages/access/src/tls-reload-preload.ts): the next STARTTLS gets the new
 * certificate, sessions in progress keep theirs, nothing restarts.
 *
 * Haraka builds each STARTTLS from the options it keeps for '*' (key, cert
 * and an SNI callback answering from a context made at start), so both are
 * replaced there. A key and certificate that do not match (a renewal caught
 * half-written) are not applied: the old pair stays until the next change.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import tls from 'node:tls';

interface TlsSocketModule {
  getSocketOpts(name: string): Promise<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);

export interface TlsReloadLog {
  info(message: string): void;
  error(message: string): void;
}

/** Starts watching; returns a function that stops it. */
export function reloadCertificatesOnChange(files: { cert: string; key: string }, log: TlsReloadLog): () => void {
  // The same module instance Haraka's tls plugin uses (one copy of Haraka in node_modules).
  const tlsSocket = require('Haraka/tls_socket') as TlsSocketModule;
  let timer: NodeJS.Timeout | undefined;
  const reload = async () => {
    try {
      const key = fs.readFileSync(files.key);
      const cert = fs.readFileSync(files.cert);
      const options = await tlsSocket.getSocketOpts('*');
      const context = tls.createSecureContext({ ...options, key, cert });
      Object.assign(options, {
        key: [key],
        cert: [cert],
        SNICallback: (_servername: string, done: (err: Error | null, ctx: tls.SecureContext) => void) => done(null, context),
      });
      log.info(`TLS certificates reloaded from ${files.cert}`);
    } catch (err) {
      log.error(`TLS certificates not reloaded (keeping the previous ones): ${(err as Error).message}`);
    }
  };
  // A renewal writes key and certificate one after the other: reload once, after both.
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), 500);
  };
  const onChange = (now: fs.Stats, before: fs.Stats) => {
    if (now.mtimeMs !== before.mtimeMs) schedule();
  };
  for (const file of [files.cert, files.key]) fs.watchFile(file, { interval: 1_000 }, onChange);
  process.on('SIGHUP', schedule);
  return () => {
    clearTimeout(timer);
    for (const file of [files.cert, files.key]) fs.unwatchFile(file, onChange);
    process.off('SIGHUP', schedule);
  };
}
