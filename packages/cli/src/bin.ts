#!/usr/bin/env node
import { ConfigError } from '@kura/config';
import { MappingError } from '@kura/migrate';
import { SnapshotError } from '@kura/snapshot';
import { Command } from 'commander';
import { registerAdminCommands } from './admin/register.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerHaCommands } from './commands/ha.js';
import { top } from './commands/top.js';
import { up } from './commands/up.js';
import { CliError } from './errors.js';
import { registerImportCommands } from './import/register.js';
import { kuraVersion, snapshotCreate, snapshotList, snapshotPrune, snapshotRestore, snapshotVerify } from './snapshot/commands.js';
import { SetupError } from './stack/services.js';

// `kura … | head` closes the pipe early: that ends the command quietly, as it does for any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command()
  .name('kura')
  .description('Kura: redundant mail store with IMAP/POP3 access')
  .version(kuraVersion())
  .showHelpAfterError();

program
  .command('up')
  .description('run the whole local stack in the foreground (Ctrl-C stops it)')
  .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
  .option('--ha', 'high-availability mode: 2 WildDuck + 2 Haraka behind HAProxy, Redis with 3 Sentinels, the guard')
  .action(up);

const snapshot = program.command('snapshot').description('consistent, verified snapshots of the mail store (see docs/operations.md)');
const common = (cmd: Command) =>
  cmd
    .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
    .option('--dest <dir>', 'snapshot directory (default: snapshot.dir, or <dataDir>/snapshots)')
    .option('--json', 'JSON lines on stdout even on a terminal');

common(snapshot.command('create').description('write a new snapshot; published only once complete'))
  .option('--prune', 'apply the retention policy afterwards (what the daily timer runs)')
  .action(snapshotCreate);
common(snapshot.command('list').description('list complete snapshots, oldest first')).action(snapshotList);
common(snapshot.command('verify <id>').description('re-read every chunk and check checksums, counts and content hashes'))
  .option('--deep', 'also restore into a scratch database and compare counts and content hashes')
  .action(snapshotVerify);
common(snapshot.command('restore <id>').description('full restore into an empty store, or --user [--mailbox] into the live one'))
  .option('--user <name>', 'restore only this user (username, address or id)')
  .option('--mailbox <path>', 'restore only this mailbox of --user (e.g. INBOX)')
  .option('--force', 'full restore even if the target store is not empty')
  .action(snapshotRestore);
common(snapshot.command('prune').description('delete the snapshots the retention policy does not keep'))
  .option('--dry-run', 'show what would be deleted')
  .action(snapshotPrune);

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
registerDeployCommands(program);
registerImportCommands(program);
registerAdminCommands(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof SnapshotError) {
    process.stderr.write(`\nkura: ${err.message}\n${err.hint ? `      fix: ${err.hint}\n` : ''}`);
  } else if (err instanceof ConfigError || err instanceof SetupError || err instanceof CliError || err instanceof MappingError) {
    process.stderr.write(`\nkura: ${err.message}\n`);
  } else {
    process.stderr.write(`\nkura: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
