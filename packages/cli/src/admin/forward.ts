import { CliError } from '../errors.js';
import { openApi, say, type WildDuckApi, wantsJson } from './api.js';

interface Options {
  config?: string;
  json?: boolean;
}

const ACTIONS = ['add', 'list', 'rm'] as const;

async function targetsOf(api: WildDuckApi, id: string, user: string): Promise<string[]> {
  const answer = await api.must('GET', `/users/${id}`, undefined, `reading ${user}`);
  return ((answer.targets ?? []) as string[]).filter((t) => typeof t === 'string');
}

async function ownAddresses(api: WildDuckApi, id: string): Promise<string[]> {
  const answer = await api.call('GET', `/users/${id}/addresses`);
  return ((answer.results ?? []) as Array<{ address: string }>).map((a) => a.address.toLowerCase());
}

/**
 * `kura forward <user> add|list|rm [target]`: the user's forwarding targets (WildDuck's
 * user `targets`): addresses, or smtp:// relays, that get a copy of the user's incoming mail.
 */
export async function forward(user: string, action: string, target: string | undefined, options: Options) {
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new CliError(`"${action}" is not a forward action: use kura forward ${user} add|list|rm <address>`);
  if (action !== 'list' && !target) throw new CliError(`name the target: kura forward ${user} ${action} someone@example.org`);
  const api = await openApi(options);
  const id = await api.userId(user);
  const targets = await targetsOf(api, id, user);
  if (action === 'list') {
    if (wantsJson(options)) process.stdout.write(`${JSON.stringify({ user, id, targets })}\n`);
    else process.stdout.write(targets.length ? `${targets.join('\n')}\n` : `${user} forwards nothing\n`);
    return;
  }
  const wanted = String(target).trim();
  const same = (t: string) => t.toLowerCase() === wanted.toLowerCase();
  let next: string[];
  if (action === 'add') {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(wanted) && !/^(smtps?|https?):\/\/\S+$/.test(wanted))
      throw new CliError(
        `"${wanted}" is not a forwarding target: give an address (jane@example.org) or a relay (smtp://mx.example.org:25)`,
      );
    if ((await ownAddresses(api, id)).includes(wanted.toLowerCase()))
      throw new CliError(`${wanted} is one of ${user}'s own addresses: forwarding there would loop`);
    if (targets.some(same)) {
      say(options, { event: 'unchanged', user, id, targets }, `${user} forwards to ${wanted} already`);
      return;
    }
    next = [...targets, wanted];
  } else {
    if (!targets.some(same)) throw new CliError(`${user} does not forward to ${wanted} (kura forward ${user} list shows the targets)`);
    next = targets.filter((t) => !same(t));
  }
  const answer = await api.call('PUT', `/users/${id}`, { targets: next });
  if (!answer.success) throw new CliError(`cannot change ${user}'s forwarding: ${answer.error ?? 'unknown error'}`);
  say(
    options,
    { event: action === 'add' ? 'added' : 'removed', user, id, target: wanted, targets: next },
    `${user} forwards to: ${next.join(', ') || 'nothing'}`,
  );
}
