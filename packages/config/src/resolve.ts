import path from 'node:path';
import { sentinelUrl } from './redis-url.js';
import type { KuraConfigFile } from './schema.js';

/** A configuration with every derived value filled in: what components read at run time. */
export interface KuraConfig extends KuraConfigFile {
  dataDir: string;
  mongodbUri: string;
  redisUrl: string;
  /** Which tiers the local stack starts itself (false: an external service is configured). */
  local: { mongodb: boolean; redis: boolean };
  paths: {
    run: string;
    logs: string;
    ferretdb: string;
    redis: string;
    wildduckConfig: string;
    harakaDir: string;
    resolvedConfig: string;
    endpoints: string;
    /** Snapshot destination directory (snapshot.dir, or <dataDir>/snapshots). */
    snapshots: string;
    /** HAProxy's runtime API socket (ha.haproxy.runtimeSocket, or <dataDir>/run/haproxy.sock). */
    haproxySocket: string;
  };
}

export function resolveConfig(file: KuraConfigFile, baseDir: string): KuraConfig {
  const dataDir = path.resolve(baseDir, file.dataDir);
  const run = path.join(dataDir, 'run');
  const mongodbUri = file.mongodb.uri ?? `mongodb://${file.host}:${file.ports.mongodb}/${file.mongodb.database}`;
  const redisUrl =
    file.redis.url ??
    (file.redis.sentinels
      ? sentinelUrl(file.redis.sentinels, file.redis.name, file.redis.db)
      : `redis://${file.host}:${file.ports.redis}/${file.redis.db}`);
  const tls = file.security.tls;
  const at = (p?: string) => (p ? path.resolve(baseDir, p) : undefined);
  return {
    ...file,
    security: { ...file.security, tls: { cert: at(tls.cert), key: at(tls.key), ca: at(tls.ca) } },
    dataDir,
    mongodbUri,
    redisUrl,
    local: { mongodb: file.mongodb.uri === undefined, redis: file.redis.url === undefined && file.redis.sentinels === undefined },
    paths: {
      run,
      logs: path.join(dataDir, 'logs'),
      ferretdb: path.join(dataDir, 'ferretdb'),
      redis: path.join(dataDir, 'redis'),
      wildduckConfig: path.join(run, 'wildduck.toml'),
      harakaDir: path.join(run, 'haraka'),
      resolvedConfig: path.join(run, 'kura.resolved.json'),
      endpoints: path.join(dataDir, 'endpoints.json'),
      snapshots: file.snapshot.dir ? path.resolve(baseDir, file.snapshot.dir) : path.join(dataDir, 'snapshots'),
      haproxySocket: file.ha.haproxy.runtimeSocket ? path.resolve(baseDir, file.ha.haproxy.runtimeSocket) : path.join(run, 'haproxy.sock'),
    },
  };
}
