/**
 * Redis through Sentinel is written as one URL so that every component that
 * takes a Redis URL (the store, Haraka's plugin, the guard, the CLI) follows
 * failovers without a second setting:
 *
 *   redis+sentinel://[user:password@]host1:26379,host2:26379,host3:26379/<name>/<db>[?sentinelPassword=…]
 *
 * The user and password are those of the Redis primary and replicas (an ACL
 * user); `sentinelPassword` (and `sentinelUsername`) authenticate to the
 * Sentinels. Every printout goes through redactSecrets().
 */
const SENTINEL_SCHEME = 'redis+sentinel:';

export interface SentinelCredentials {
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

export interface SentinelTarget extends SentinelCredentials {
  sentinels: Array<{ host: string; port: number }>;
  name: string;
  db: number;
}

export function sentinelUrl(sentinels: string[], name: string, db: number, credentials: SentinelCredentials = {}): string {
  const { username, password, sentinelUsername, sentinelPassword } = credentials;
  const userinfo = password ? `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@` : '';
  const query = new URLSearchParams();
  if (sentinelUsername) query.set('sentinelUsername', sentinelUsername);
  if (sentinelPassword) query.set('sentinelPassword', sentinelPassword);
  const q = query.toString();
  return `redis+sentinel://${userinfo}${sentinels.join(',')}/${encodeURIComponent(name)}/${db}${q ? `?${q}` : ''}`;
}

/** The Sentinel target of a `redis+sentinel://` URL, or undefined for a plain Redis URL. */
export function parseSentinelUrl(url: string): SentinelTarget | undefined {
  if (!url.startsWith(SENTINEL_SCHEME)) return undefined;
  const match = /^redis\+sentinel:\/\/(?:([^:@/]*):([^@/]*)@)?([^/@?]+)\/([^/?]+)(?:\/(\d+))?(?:\?(.*))?$/.exec(url);
  if (!match) {
    throw new Error('invalid Sentinel URL: expected redis+sentinel://[user:password@]host:port,host:port/<name>/<db>[?sentinelPassword=…]');
  }
  const [, user, pass, hosts = '', name = '', db = '0', query = ''] = match;
  const sentinels = hosts.split(',').map((entry) => {
    const [host = '', port = ''] = entry.split(':');
    if (!host || !/^\d+$/.test(port)) throw new Error(`invalid Sentinel address "${entry}" in the Sentinel URL: expected host:port`);
    return { host, port: Number(port) };
  });
  const target: SentinelTarget = { sentinels, name: decodeURIComponent(name), db: Number(db) };
  if (pass) {
    target.password = decodeURIComponent(pass);
    if (user) target.username = decodeURIComponent(user);
  }
  const params = new URLSearchParams(query);
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  if (sentinelUsername) target.sentinelUsername = sentinelUsername;
  if (sentinelPassword) target.sentinelPassword = sentinelPassword;
  return target;
}

/**
 * What to hand ioredis (and WildDuck's `dbs.redis`): the plain URL, or an
 * options object that asks the Sentinels for the current primary.
 */
export function redisConnectionOptions(url: string): string | SentinelTarget | PlainTarget {
  const sentinel = parseSentinelUrl(url);
  if (sentinel) return sentinel;
  // WildDuck drops the user of a URL (unless told otherwise): an ACL user goes as options.
  const parsed = new URL(url);
  if (!parsed.username) return url;
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

export interface PlainTarget {
  host: string;
  port: number;
  db: number;
  username: string;
  password: string;
}
