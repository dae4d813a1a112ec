import { type Command, Option } from 'commander';
import { importRun, importVerify } from './commands.js';

/** `kura import` (the default action) and `kura import verify`, with the options both share. */
export function registerImportCommands(program: Command): void {
  const imp = program
    .command('import')
    .description('move mail from Maildir/Maildir++ or mbox into Kura, per user or a whole domain (see docs/migration.md)');
  const common = (cmd: Command) =>
    cmd
      .argument('[source]', 'Maildir root, mbox file, or directory of mbox files')
      .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
      .option('-u, --user <name>', 'the Kura user (username or address) that receives SOURCE')
      .option('--map <file>', 'CSV "login,user[,source]" or JSON mapping of old logins to Kura users (a whole domain)')
      .option('--source-template <path>', "where a mapped login's mail lies, e.g. '/var/vmail/example.edu/{login}/Maildir'")
      .addOption(new Option('--format <format>', 'source format').choices(['auto', 'maildir', 'mbox']).default('auto'))
      .addOption(new Option('--mbox-quoting <style>', 'how the mbox quotes "From " lines').choices(['mboxrd', 'mboxo']).default('mboxrd'))
      .addOption(
        new Option('--maildir-date <from>', 'internal date: file mtime (Dovecot) or the time in the file name')
          .choices(['mtime', 'filename'])
          .default('mtime'),
      )
      .option('-p, --parallel <n>', 'users imported at the same time', '2')
      .option('--json', 'JSON lines on stdout even on a terminal');

  common(
    imp
      .command('run', { isDefault: true })
      .description('import (the default: `kura import SOURCE --user NAME`); safe to rerun and to resume'),
  )
    .option('--dry-run', 'read the source and report what would be imported, write nothing')
    .option('--allow-over-quota', 'import even when the source does not fit the remaining quota')
    .option('--set-aside <dir>', 'where messages the store refuses are copied (default <dataDir>/import-set-aside)')
    .option('--no-verify', 'skip the verification that otherwise ends the import')
    .action(importRun);
  common(imp.command('verify').description('prove the import: per folder count, bytes, a hash of every message, and flags')).action(
    importVerify,
  );
}
