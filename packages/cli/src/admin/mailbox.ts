import Table from 'cli-table3';
import { CliError } from '../errors.js';
import { openApi, say, type WildDuckApi, wantsJson } from './api.js';
import { expunge } from './expunge.js';
import { formatSize } from './sizes.js';

export interface MailboxOptions {
  config?: string;
  json?: boolean;
  yes?: boolean;
  olderThan?: string;
  dryRun?: boolean;
}

export interface MailboxRow {
  id: string;
  path: string;
  specialUse: string | null;
  total?: number;
  unseen?: number;
  size?: number;
}

const ACTIONS = ['list', 'create', 'rename', 'rm', 'expunge'];

export async function mailboxesOf(api: WildDuckApi, id: string, user: string): Promise<MailboxRow[]> {
  const answer = await api.must(
    'GET',
    `/users/${id}/mailboxes?counters=true&sizes=true&showHidden=true`,
    undefined,
    `listing ${user}'s mailboxes`,
  );
  return answer.results as MailboxRow[];
}

export async function findMailbox(api: WildDuckApi, id: string, user: string, path: string): Promise<MailboxRow> {
  const found = (await mailboxesOf(api, id, user)).find((m) => m.path === path || m.path.toLowerCase() === path.toLowerCase());
  if (!found) throw new CliError(`${user} has no mailbox "${path}" (kura mailbox ${user} list shows them)`);
  return found;
}

/** `kura mailbox <user> list|create|rename|rm|expunge …`: a user's folders, through WildDuck's API. */
export async function mailbox(
  user: string,
  action: string,
  path: string | undefined,
  newPath: string | undefined,
  options: MailboxOptions,
) {
  if (!ACTIONS.includes(action)) throw new CliError(`"${action}" is not a mailbox action: use kura mailbox ${user} ${ACTIONS.join('|')}`);
  if (action !== 'list' && !path) throw new CliError(`name the mailbox: kura mailbox ${user} ${action} "Archive/2024"`);
  if (action === 'rename' && !newPath) throw new CliError(`name the new path: kura mailbox ${user} rename "${path}" "New/Name"`);
  const api = await openApi(options);
  const id = await api.userId(user);
  const target = String(path);
  switch (action) {
    case 'list':
      return list(api, id, user, options);
    case 'create': {
      const answer = await api.call('POST', `/users/${id}/mailboxes`, { path: target });
      if (!answer.success) throw new CliError(`cannot create "${target}" for ${user}: ${answer.error ?? 'unknown error'}`);
      return say(options, { event: 'created', user, id: answer.id, path: target }, `${user}: created ${target}`);
    }
    case 'rename': {
      const box = await findMailbox(api, id, user, target);
      const answer = await api.call('PUT', `/users/${id}/mailboxes/${box.id}`, { path: newPath });
      if (!answer.success) throw new CliError(`cannot rename "${box.path}" to "${newPath}": ${answer.error ?? 'unknown error'}`);
      return say(options, { event: 'renamed', user, id: box.id, from: box.path, path: newPath }, `${user}: ${box.path} is now ${newPath}`);
    }
    case 'rm': {
      const box = await findMailbox(api, id, user, target);
      if (box.path === 'INBOX' || box.specialUse)
        throw new CliError(`${box.path} cannot be deleted (INBOX and special-use folders stay); kura mailbox ${user} expunge empties it`);
      if (box.total && !options.yes)
        throw new CliError(`${box.path} holds ${box.total} messages, deleted with it: run again with --yes (or move them first)`);
      const answer = await api.call('DELETE', `/users/${id}/mailboxes/${box.id}`);
      if (!answer.success) throw new CliError(`cannot delete "${box.path}": ${answer.error ?? 'unknown error'}`);
      return say(options, { event: 'deleted', user, id: box.id, path: box.path, messages: box.total ?? 0 }, `${user}: deleted ${box.path}`);
    }
    default:
      return expunge(api, id, user, await findMailbox(api, id, user, target), options);
  }
}

async function list(api: WildDuckApi, id: string, user: string, options: MailboxOptions) {
  const boxes = await mailboxesOf(api, id, user);
  if (wantsJson(options)) {
    for (const b of boxes)
      process.stdout.write(
        `${JSON.stringify({ id: b.id, path: b.path, specialUse: b.specialUse ?? null, messages: b.total ?? 0, unseen: b.unseen ?? 0, size: b.size ?? 0 })}\n`,
      );
    return;
  }
  const table = new Table({ head: ['mailbox', 'special use', 'messages', 'unseen', 'size'] });
  for (const b of boxes) table.push([b.path, b.specialUse ?? '', b.total ?? 0, b.unseen ?? 0, formatSize(b.size ?? 0)]);
  process.stdout.write(`${table.toString()}\n`);
}
