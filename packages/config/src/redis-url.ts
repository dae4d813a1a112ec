/**
 * Redis through Sentinel is written as one URL so that every component that
 * takes a Redis URL (the store, Haraka's plugin, the guard, the CLI) follows
 * failovers without a second setting:
 *
 *   redis+sentinel://host1:26379,host2:26379,host3:26379/<name>/<db>
 */
const SENTINEL_SCHEME = 'redis+sentinel:';

export interface SentinelTarget {
  sentinels: Array<{ host: string; port: number }>;
  name: string;
  db: number;
}

export function sentinelUrl(sentinels: string[], name: string, db: number): string {
  return `redis+sentinel://${sentinels.join(',')}/${encodeURIComponent(name)}/${db}`;
}

/** The Sentinel target of a `redis+sentinel://` URL, or undefined for a plain Redis URL. */
export function parseSentinelUrl(url: string): SentinelTarget | undefined {
  if (!url.startsWith(SENTINEL_SCHEME)) return undefined;
  const match = /^redis\+sentinel:\/\/([^/]+)\/([^/]+)(?:\/(\d+))?$/.exec(url);
  if (!match) throw new Error(`invalid Sentinel URL ${url}: expected redis+sentinel://host:port,host:port/<name>/<db>`);
  const [, hosts = '', name = '', db = '0'] = match;
  const sentinels = hosts.split(',').map((entry) => {
    const [host = '', port = ''] = entry.split(':');
    if (!host || !/^\d+$/.test(port)) throw new Error(`invalid Sentinel address "${entry}" in ${url}: expected host:port`);
    return { host, port: Number(port) };
  });
  return { sentinels, name: decodeURIComponent(name), db: Number(db) };
}

/**
 * What to hand ioredis (and WildDuck's `dbs.redis`): the plain URL, or an
 * options object that asks the Sentinels for the current primary.
 */
export function redisConnectionOptions(url: string): string | { sentinels: SentinelTarget['sentinels']; name: string; db: number } {
  return parseSentinelUrl(url) ?? url;
}
