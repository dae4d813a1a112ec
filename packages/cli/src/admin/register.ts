import type { Command } from 'commander';
import { aliasAdd, aliasList, aliasRm } from './alias.js';
import { autoreply } from './autoreply.js';
import { forward } from './forward.js';
import { mailbox } from './mailbox.js';
import { registerOutboundCommands } from './register-outbound.js';
import { status } from './status.js';
import { trace } from './trace.js';
import { userAdd, userDisable, userEnable, userList, userPasswd, userPop3Limit, userQuota, userRm, userShow } from './user.js';

/** Everyday operator commands: users, aliases, forwarding, auto-replies, mailboxes, trace, status. */
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
  const alias = program
    .command('alias')
    .description('extra addresses of a user, and domain wildcards (*@dept.example.edu) (exit code 1 on any error)');
  common(
    alias.command('add <address> <user>').description('deliver mail for <address> (or a wildcard such as *@dept.example.edu) to <user>'),
  )
    .option('--name <name>', 'display name for the address')
    .action(aliasAdd);
  common(alias.command('list [user]').description("the user's addresses, or every address"))
    .option('-n, --limit <n>', 'how many (at most 250)', '100')
    .option('-q, --query <text>', 'only addresses containing this')
    .action(aliasList);
  common(alias.command('rm <address>').description('stop delivering mail for <address> (a main address stays: kura user rm)')).action(
    aliasRm,
  );
  common(
    program
      .command('forward <user> <action> [target]')
      .description("the user's forwarding targets: add|list|rm an address (or smtp:// relay) that gets a copy of incoming mail"),
  ).action(forward);
  common(program.command('autoreply <user> <action>').description("the user's vacation reply: on|off|show"))
    .option('--subject <text>', 'subject (default: the original subject)')
    .option('--text <text>', 'the reply text')
    .option('--name <name>', 'sender name in the reply')
    .option('--start <date>', 'first day it answers (2026-12-24 or an ISO time; "none" clears)')
    .option('--end <date>', 'last moment it answers ("none" clears)')
    .action(autoreply);
  common(
    program
      .command('mailbox <user> <action> [path] [newPath]')
      .description("the user's folders: list | create <path> | rename <path> <newPath> | rm <path> | expunge <path> --older-than 90d"),
  )
    .option('--older-than <duration>', 'expunge: messages received longer ago than this (h, d, w, y: 90d)')
    .option('--dry-run', 'expunge: only count what would be deleted')
    .option('--yes', 'rm: also when the folder holds messages')
    .action(mailbox);
  common(
    program
      .command('trace <id>')
      .description('where mail went, by queue id, Message-ID or address: accepted, verdict, stored where, auto-replied, forwarded'),
  )
    .option('-u, --user <name>', "look only in this user's mailboxes (fast on a large store; for an address: mail it sent to this user)")
    .option('--since <when>', 'address: how far back (2h, 7d or a date; default 24h)')
    .option('-n, --limit <n>', 'address: at most this many messages per list', '50')
    .option('--address', 'treat <id> as an address even if it is not a local one')
    .action(trace);
  program
    .command('status')
    .description(
      "the guard's view: components up or down, last canary, replication, snapshot age (exit 0 all up, 2 degraded, 3 down, 1 no answer)",
    )
    .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
    .option('--guard <url>', "the guard's address (default: http://<security.internalHost or host>:<guard.port>/ from the config)")
    .option('--json', 'JSON output even on a terminal')
    .action(status);
  registerOutboundCommands(program);
}
