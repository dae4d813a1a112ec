import { CliError } from '../errors.js';
import { openApi, say } from './api.js';

interface Options {
  config?: string;
  json?: boolean;
  subject?: string;
  text?: string;
  name?: string;
  start?: string;
  end?: string;
}

interface Reply {
  status: boolean;
  name: string;
  subject: string;
  text: string;
  start?: string;
  end?: string;
}

function parseDate(flag: string, value: string): string | false {
  if (/^(none|never|-)$/i.test(value)) return false;
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(at.getTime()))
    throw new CliError(`${flag} "${value}" is not a date: use 2026-12-24 or 2026-12-24T08:00:00Z ("none" clears it)`);
  return at.toISOString();
}

function describe(user: string, r: Reply): string {
  const window = `${r.start ? `from ${r.start}` : 'from now'} ${r.end ? `until ${r.end}` : 'with no end'}`;
  return [
    `${user}: auto-reply ${r.status ? 'ON' : 'off'}${r.status ? ` (${window})` : ''}`,
    `  subject: ${r.subject || "(the original message's subject)"}`,
    `  from name: ${r.name || '(the user name)'}`,
    `  text: ${r.text ? r.text.replace(/\n/g, '\n        ') : '(none)'}`,
  ].join('\n');
}

/** `kura autoreply <user> on|off|show`: the user's vacation message (WildDuck's auto-reply). */
export async function autoreply(user: string, action: string, options: Options) {
  if (!['on', 'off', 'show'].includes(action))
    throw new CliError(`"${action}" is not an autoreply action: use kura autoreply ${user} on|off|show`);
  const start = options.start === undefined ? undefined : parseDate('--start', options.start);
  const end = options.end === undefined ? undefined : parseDate('--end', options.end);
  if (start && end && end <= start) throw new CliError(`--end (${end}) must come after --start (${start})`);
  const api = await openApi(options);
  const id = await api.userId(user);
  const read = async () => (await api.must('GET', `/users/${id}/autoreply`, undefined, `reading ${user}'s auto-reply`)) as unknown as Reply;
  if (action !== 'show') {
    const current = await read();
    if (action === 'on' && !options.text && !current.text)
      throw new CliError(`give the reply's text: kura autoreply ${user} on --subject "Away" --text "Back on Monday"`);
    const body: Record<string, unknown> = { status: action === 'on' };
    for (const key of ['subject', 'text', 'name'] as const) if (options[key] !== undefined) body[key] = options[key];
    if (start !== undefined) body.start = start;
    if (end !== undefined) body.end = end;
    const answer = await api.call('PUT', `/users/${id}/autoreply`, body);
    if (!answer.success) throw new CliError(`cannot change ${user}'s auto-reply: ${answer.error ?? 'unknown error'}`);
  }
  const reply = await read();
  const { success: _s, ...fields } = reply as unknown as Record<string, unknown>;
  say(options, { event: action === 'show' ? 'autoreply' : 'updated', user, id, ...fields }, describe(user, reply));
}
