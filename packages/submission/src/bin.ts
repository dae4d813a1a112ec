#!/usr/bin/env node
import fs from 'node:fs';
import { loadConfig, readResolvedConfig, withSecurity } from '@kura/config';
import pino from 'pino';
import { startSubmission } from './server.js';

/**
 * `kura-submission --resolved-config FILE` (how the local stack starts it) or
 * `kura-submission --config kura.config.json` (a production deployment), with
 * optional `--port`, `--tls-port`, `--metrics-port`, `--health-port`, `--cert`,
 * `--key`, `--api URL` (repeatable) and `--proxy-protocol`.
 */
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const all = (name: string) => args.flatMap((arg, i) => (arg === name && args[i + 1] ? [args[i + 1] as string] : []));
const number = (name: string) => (flag(name) ? Number(flag(name)) : undefined);

const resolved = flag('--resolved-config');
const config = withSecurity(resolved ? readResolvedConfig(resolved) : loadConfig({ file: flag('--config') }));
const log = pino({ name: 'kura-submission', level: config.logLevel });
const cert = flag('--cert') ?? config.security.tls.cert;
const key = flag('--key') ?? config.security.tls.key;
if (!cert || !key) {
  process.stderr.write(
    'kura-submission: no certificate: set security.tls.cert and security.tls.key in kura.config.json (or pass --cert and --key)\n',
  );
  process.exit(1);
}

startSubmission(
  config,
  {
    port: number('--port') ?? config.ports.submission,
    tlsPort: number('--tls-port') ?? config.ports.submissions,
    metricsPort: number('--metrics-port'),
    healthPort: number('--health-port'),
    cert,
    key,
    apis: all('--api'),
    proxyProtocol: args.includes('--proxy-protocol'),
  },
  log,
).then(
  (running) => {
    // Renewed certificates (certbot) are picked up when the files change, or on SIGHUP, without dropping sessions.
    const reload = () => {
      try {
        running.reloadCertificates();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'certificate reload failed; keeping the old ones');
      }
    };
    process.on('SIGHUP', reload);
    for (const file of [cert, key])
      fs.watchFile(file, { interval: 5_000, persistent: false }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs) reload();
      });
    const stop = () => void running.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err: unknown) => {
    process.stderr.write(`kura-submission: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
