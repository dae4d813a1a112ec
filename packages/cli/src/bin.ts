#!/usr/bin/env node
import { ConfigError } from '@kura/config';
import { Command } from 'commander';
import { up } from './commands/up.js';
import { SetupError } from './stack/services.js';

const program = new Command().name('kura').description('Kura: redundant mail store with IMAP/POP3 access').showHelpAfterError();

program
  .command('up')
  .description('run the whole local stack in the foreground (Ctrl-C stops it)')
  .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
  .action(up);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SetupError) {
    process.stderr.write(`\nkura: ${err.message}\n`);
  } else {
    process.stderr.write(`\nkura: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
