import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

/** One line of a domain migration: the old login, the Kura user it becomes, and where its mail lies. */
export interface MappingRow {
  login: string;
  user: string;
  source: string;
}

export class MappingError extends Error {
  override name = 'MappingError';
}

/**
 * Reads a CSV (`login,user[,source]`, header optional) or JSON (`[{login, user, source?}]`
 * or `{"login": "user"}`) mapping. Without a source column, `template` gives the path:
 * `{login}` and `{user}` are replaced (e.g. /var/vmail/example.edu/{login}/Maildir).
 * Relative sources are relative to the mapping file.
 */
export function readMapping(file: string, template?: string): MappingRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MappingError(`cannot read the mapping ${file}: ${(err as Error).message}`);
  }
  const records = /\.json$/i.test(file) || /^\s*[[{]/.test(text) ? fromJson(file, text) : fromCsv(file, text);
  const base = path.dirname(path.resolve(file));
  const seen = new Set<string>();
  return records.map((record, i) => {
    const where = `${file}, entry ${i + 1}`;
    const login = record.login?.trim();
    const user = record.user?.trim() || login;
    if (!login || !user) throw new MappingError(`${where}: needs a login and a user`);
    const raw = record.source?.trim() || template?.replaceAll('{login}', login).replaceAll('{user}', user);
    if (!raw)
      throw new MappingError(`${where}: no source path; add a source column or pass --source-template '/var/vmail/{login}/Maildir'`);
    if (seen.has(user.toLowerCase())) throw new MappingError(`${where}: user ${user} appears twice`);
    seen.add(user.toLowerCase());
    return { login, user, source: /^imaps?:\/\//i.test(raw) ? raw : path.resolve(base, raw) };
  });
}

type Loose = { login?: string; user?: string; source?: string };

function fromJson(file: string, text: string): Loose[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new MappingError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(data)) return data as Loose[];
  if (data && typeof data === 'object') return Object.entries(data).map(([login, user]) => ({ login, user: String(user) }));
  throw new MappingError(`${file}: expected an array of {login, user, source} or an object {"login": "user"}`);
}

function fromCsv(file: string, text: string): Loose[] {
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, comment: '#', relax_column_count: true });
  } catch (err) {
    throw new MappingError(`${file} is not valid CSV: ${(err as Error).message}`);
  }
  const first = rows[0]?.map((c) => c.toLowerCase());
  const header = first?.includes('login') || first?.includes('user') ? first : undefined;
  const columns = header ?? ['login', 'user', 'source'];
  return (header ? rows.slice(1) : rows).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])) as Loose);
}
