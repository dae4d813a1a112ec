import type { Command } from 'commander';
import { dkim } from './dkim.js';
import { queueHolds, queueList, queueRelease, queueRetry, queueRm, queueUnsuppress } from './queue.js';

/** Outbound mail: `kura queue …` and `kura dkim`. */
export function registerOutboundCommands(program: Command): void {
  const common = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
      .option('--json', 'JSON output even on a terminal');
  const queue = program
    .command('queue')
    .description('the outbound queue: list, retry, remove, release held senders (exit code 1 on any error)');
  common(queue.command('list').description('entries waiting, held or failed, oldest first'))
    .option('-s, --status <status>', 'only this status: queued, sending, held, sent, failed')
    .option('-u, --user <user>', "only this user's mail")
    .option('-n, --limit <n>', 'how many', '50')
    .option('--after <id>', 'continue after this queue id')
    .action(queueList);
  common(queue.command('retry <id>').description('try an entry now; a failed one again for its failed recipients')).action(queueRetry);
  common(queue.command('rm <id>').description('delete an entry: it is never sent')).option('--yes', 'really delete').action(queueRm);
  common(queue.command('release <user>').description("lift a sender's hold: their held mail is sent")).action(queueRelease);
  common(queue.command('holds').description('senders held for an operator, and why')).action(queueHolds);
  common(queue.command('unsuppress <address>').description('take an address off the suppression list')).action(queueUnsuppress);
  common(program.command('dkim <domain>').description('the DKIM key of a domain and the DNS TXT record to publish'))
    .option('--create', "create a key through WildDuck's DKIM API if the domain has none")
    .option('--selector <name>', 'selector for a new key (default: kura<year>)')
    .action(dkim);
}
