#!/usr/bin/env node
import { ConfigError } from '@kura/config';
import { Command } from 'commander';
import { registerHaCommands } from './commands/ha.js';
import { top } from './commands/top.js';
import { up } from './commands/up.js';
import { CliError } from './errors.js';
import { SetupError } from './stack/services.js';

const program = new Command().name('kura').description('Kura: redundant mail store with IMAP/POP3 access').showHelpAfterError();

program
  .command('up')
  .description('run the whole local stack in the foreground (Ctrl-C stops it)')
  .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
  .option('--ha', 'high-availability mode: 2 WildDuck + 2 Haraka behind HAProxy, Redis with 3 Sentinels, the guard')
  .action(up);

program
  .command('top')
  .description('busiest client IPs, senders and recipients over the last minutes (live on a terminal, JSON when piped)')
  .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
  .option('-m, --minutes <n>', 'window in minutes', '5')
  .option('-n, --limit <n>', 'rows per table', '10')
  .option('-i, --interval <seconds>', 'refresh interval', '2')
  .option('--once', 'print once and exit')
  .action(top);

registerHaCommands(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SetupError || err instanceof CliError) {
    process.stderr.write(`\nkura: ${err.message}\n`);
  } else {
    process.stderr.write(`\nkura: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
