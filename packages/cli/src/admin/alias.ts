import Table from 'cli-table3';
import { CliError } from '../errors.js';
import { openApi, say, type WildDuckApi, wantsJson } from './api.js';

interface Options {
  config?: string;
  json?: boolean;
}

interface AddressRow {
  id: string;
  address: string;
  main?: boolean;
  user?: string;
  name?: string;
}

/** A wildcard (`*@dept.example.edu`, `jane@*`) is accepted only in the shapes WildDuck resolves. */
function checkAddress(address: string): void {
  if (!/^[^@\s]+@[^@\s]+$/.test(address))
    throw new CliError(`"${address}" is not an address: give one like jane.doe@example.edu, or *@example.edu for a whole domain`);
}

async function addressRecord(api: WildDuckApi, address: string): Promise<AddressRow> {
  const found = await api.call('GET', `/addresses/resolve/${encodeURIComponent(address)}`);
  if (!found.success || typeof found.user !== 'string')
    throw new CliError(`no user has the address ${address} (kura alias list shows the addresses there are)`);
  return found as unknown as AddressRow;
}

/** `kura alias add <address> <user>`: one more address (or a domain wildcard) delivering to the user. */
export async function aliasAdd(address: string, user: string, options: Options & { name?: string }) {
  checkAddress(address);
  const api = await openApi(options);
  const id = await api.userId(user);
  const answer = await api.call('POST', `/users/${id}/addresses`, {
    address,
    allowWildcard: address.includes('*'),
    ...(options.name ? { name: options.name } : {}),
  });
  if (!answer.success) {
    const hint =
      answer.code === 'AddressExistsError'
        ? ' (kura alias list shows who has it; kura alias rm frees it)'
        : address.includes('*')
          ? ' (wildcards: *@domain or user@*)'
          : '';
    throw new CliError(`cannot add ${address} to ${user}: ${answer.error ?? 'unknown error'}${hint}`);
  }
  say(options, { event: 'added', id: answer.id, address, user: id }, `${address} now delivers to ${user}`);
}

/** `kura alias list [user]`: the user's addresses, or every address of the installation. */
export async function aliasList(user: string | undefined, options: Options & { limit?: string; query?: string }) {
  const limit = Number(options.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 250)
    throw new CliError(`--limit must be a whole number from 1 to 250, not "${options.limit}"`);
  const api = await openApi(options);
  let rows: AddressRow[];
  if (user) {
    const id = await api.userId(user);
    const answer = await api.must('GET', `/users/${id}/addresses`, undefined, `listing the addresses of ${user}`);
    rows = ((answer.results ?? []) as AddressRow[]).map((r) => ({ ...r, user: id }));
    if (options.query) rows = rows.filter((r) => r.address.includes(String(options.query).toLowerCase()));
  } else {
    const query = new URLSearchParams({ limit: String(limit), ...(options.query ? { query: options.query } : {}) });
    const answer = await api.must('GET', `/addresses?${query}`, undefined, 'listing addresses');
    rows = (answer.results ?? []) as AddressRow[];
  }
  rows = rows.slice(0, limit);
  if (wantsJson(options)) {
    for (const r of rows)
      process.stdout.write(
        `${JSON.stringify({ id: r.id, address: r.address, user: r.user, ...(user ? { main: Boolean(r.main) } : {}) })}\n`,
      );
    return;
  }
  const table = new Table({ head: ['address', 'user id', 'main'] });
  for (const r of rows) table.push([r.address, r.user ?? '', r.main ? 'yes' : '']);
  process.stdout.write(`${table.toString()}\n`);
}

/** `kura alias rm <address>`: the address stops delivering; the user's main address stays (WildDuck refuses). */
export async function aliasRm(address: string, options: Options) {
  checkAddress(address);
  const api = await openApi(options);
  const record = await addressRecord(api, address);
  const answer = await api.call('DELETE', `/users/${record.user}/addresses/${record.id}`);
  if (!answer.success) {
    const main = /main address/i.test(answer.error ?? '');
    throw new CliError(
      `cannot remove ${address}: ${answer.error ?? 'unknown error'}${main ? ' (it is the main address: kura user rm removes the user)' : ''}`,
    );
  }
  say(options, { event: 'removed', id: record.id, address: record.address, user: record.user }, `${record.address} removed`);
}
