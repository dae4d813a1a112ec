import type { Command } from 'commander';
import { registerOutboundCommands } from './register-outbound.js';
import { trace } from './trace.js';
import { userAdd, userDisable, userEnable, userList, userPasswd, userPop3Limit, userQuota, userRm, userShow } from './user.js';

/** Everyday operator commands: `kura user …` and `kura trace`. */
export function registerAdminCommands(program: Command): void {
  const common = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
      .option('--json', 'JSON output even on a terminal');
  const user = program.command('user').description('add, list, change and disable mail users (exit code 1 on any error)');
  common(user.command('add <username>').description('create a user'))
    .option('--password <secret>', 'initial password (at least 8 characters)')
    .option('--address <email>', 'main address (default: the username, if it is an address)')
    .option('--name <name>', 'display name')
    .option('--quota <size>', 'storage quota, e.g. 2G (default: the installation default)')
    .action(userAdd);
  common(user.command('list').description('users in username order'))
    .option('-n, --limit <n>', 'how many', '100')
    .option('--after <username>', 'continue after this username')
    .option('-q, --query <text>', 'only usernames containing this')
    .action(userList);
  common(user.command('show <user>').description('one user: addresses, storage, quota, state')).action(userShow);
  common(user.command('passwd <user>').description('set a new password'))
    .option('--password <secret>', 'the new password (at least 8 characters)')
    .action(userPasswd);
  common(user.command('quota <user> <size>').description('set the storage quota (e.g. 2G; "default" for the installation default)')).action(
    userQuota,
  );
  common(user.command('disable <user>').description('block logins and incoming mail; keeps the mail')).action(userDisable);
  common(user.command('enable <user>').description('undo disable')).action(userEnable);
  common(user.command('rm <user>').description('delete a user; its mail is purged after --keep-days (restorable until then)'))
    .option('--yes', 'really delete')
    .option('--keep-days <n>', 'days before the mail is purged', '14')
    .action(userRm);
  common(
    user
      .command('pop3-limit <user> <count>')
      .description('how many newest INBOX messages POP3 lists for this user ("default": pop3.maxMessages)'),
  ).action(userPop3Limit);
  common(program.command('trace <id>').description('where a message went, by queue id or Message-ID: stored where, flags, auto-replies'))
    .option('-u, --user <name>', "look only in this user's mailboxes (fast on a large store)")
    .action(trace);
  registerOutboundCommands(program);
}
