import { type AccountSummary, deleteAccount, ensureUser, findAccountSummary, listAccounts, type Store, updateAccount } from '@kura/store';
import Table from 'cli-table3';
import { CliError } from '../errors.js';
import { openConfiguredStore } from './open-store.js';
import { formatSize, parseSize } from './sizes.js';

export interface AdminOptions {
  config?: string;
  json?: boolean;
}

const json = (options: AdminOptions) => options.json || !process.stdout.isTTY;

/** Runs `work` with an open store and closes it whatever happens. */
async function withStore<T>(options: AdminOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const { store } = await openConfiguredStore(options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function mustFind(store: Store, name: string): Promise<AccountSummary> {
  const found = await findAccountSummary(store, name);
  if (!found) throw new CliError(`no user "${name}" (kura user list shows who exists; kura user add creates one)`);
  return found;
}

function print(options: AdminOptions, data: unknown, human: string): void {
  process.stdout.write(json(options) ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

function describe(a: AccountSummary): string {
  return [
    `${a.username} <${a.address}>${a.disabled ? ' (DISABLED)' : ''}`,
    `  id:        ${a.id}`,
    `  name:      ${a.name}`,
    `  storage:   ${formatSize(a.storageUsed)} used of ${a.quota ? formatSize(a.quota) : 'the default quota'}`,
    `  POP3:      ${a.pop3MaxMessages ? `newest ${a.pop3MaxMessages} INBOX messages` : "the installation's limit (pop3.maxMessages)"}`,
  ].join('\n');
}

export async function userAdd(
  username: string,
  options: AdminOptions & { password?: string; address?: string; name?: string; quota?: string },
) {
  if (!options.password || options.password.length < 8) throw new CliError('give a password of at least 8 characters: --password SECRET');
  const address = options.address ?? (username.includes('@') ? username : undefined);
  if (!address) throw new CliError(`give the user's address: --address ${username}@example.edu`);
  const quota = options.quota ? parseSize(options.quota) : 0;
  await withStore(options, async (store) => {
    if (await findAccountSummary(store, username))
      throw new CliError(`user "${username}" exists already (kura user passwd/quota change it)`);
    if (await findAccountSummary(store, address)) throw new CliError(`address ${address} belongs to another user already`);
    try {
      await ensureUser(store, { username, password: options.password as string, address, name: options.name, quota });
    } catch (err) {
      throw new CliError(`WildDuck refused the user: ${(err as Error).message}`);
    }
    const created = await mustFind(store, username);
    print(options, { event: 'created', ...created }, `created\n${describe(created)}`);
  });
}

export async function userShow(name: string, options: AdminOptions) {
  await withStore(options, async (store) => {
    const a = await mustFind(store, name);
    print(options, a, describe(a));
  });
}

export async function userList(options: AdminOptions & { limit?: string; after?: string; query?: string }) {
  const limit = Number(options.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive whole number, not "${options.limit}"`);
  await withStore(options, async (store) => {
    const users = await listAccounts(store, { limit, after: options.after, query: options.query });
    if (json(options)) {
      for (const u of users) process.stdout.write(`${JSON.stringify(u)}\n`);
      return;
    }
    const table = new Table({ head: ['username', 'address', 'used', 'quota', 'state'] });
    for (const u of users)
      table.push([
        u.username,
        u.address,
        formatSize(u.storageUsed),
        u.quota ? formatSize(u.quota) : 'default',
        u.disabled ? 'disabled' : 'active',
      ]);
    process.stdout.write(
      `${table.toString()}\n${users.length === limit ? `more: kura user list --after ${users[users.length - 1]?.username}\n` : ''}`,
    );
  });
}

async function change(name: string, options: AdminOptions, changes: Parameters<typeof updateAccount>[2], what: string) {
  await withStore(options, async (store) => {
    const a = await mustFind(store, name);
    await updateAccount(store, a.id, changes);
    const after = await mustFind(store, name);
    print(options, { event: 'updated', ...after }, `${a.username}: ${what}`);
  });
}

export async function userPasswd(name: string, options: AdminOptions & { password?: string }) {
  if (!options.password || options.password.length < 8)
    throw new CliError('give the new password (at least 8 characters): --password SECRET');
  await change(name, options, { password: options.password }, 'password changed');
}

export async function userQuota(name: string, size: string, options: AdminOptions) {
  const quota = parseSize(size);
  await change(name, options, { quota }, quota ? `quota set to ${formatSize(quota)}` : 'quota reset to the default');
}

export async function userDisable(name: string, options: AdminOptions) {
  await change(name, options, { disabled: true }, 'disabled (cannot log in; mail to it is refused)');
}

export async function userEnable(name: string, options: AdminOptions) {
  await change(name, options, { disabled: false }, 'enabled');
}

export async function userPop3Limit(name: string, count: string, options: AdminOptions) {
  const n = /^(default|0)$/i.test(count) ? 0 : Number(count);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`"${count}" is not a message count: a whole number, or "default"`);
  await change(
    name,
    options,
    { pop3MaxMessages: n },
    n ? `POP3 lists the newest ${n} INBOX messages` : "POP3 follows the installation's limit",
  );
}

export async function userRm(name: string, options: AdminOptions & { yes?: boolean; keepDays?: string }) {
  const days = Number(options.keepDays ?? 14);
  if (!Number.isFinite(days) || days < 0) throw new CliError(`--keep-days must be a number of days, not "${options.keepDays}"`);
  if (!options.yes) throw new CliError(`this deletes ${name} and, after ${days} days, all of its mail: run again with --yes`);
  await withStore(options, async (store) => {
    const a = await mustFind(store, name);
    const purge = await deleteAccount(store, a.id, new Date(Date.now() + days * 24 * 3600 * 1000));
    print(
      options,
      { event: 'deleted', ...a, purgeAfter: purge },
      `${a.username}: deleted; its mail is purged after ${purge ?? 'now'} (until then WildDuck's API can restore it)`,
    );
  });
}
