import crypto from 'node:crypto';
import path from 'node:path';
import { parseSentinelUrl, sentinelUrl } from './redis-url.js';
import type { KuraConfig } from './resolve.js';
import { type KuraSecrets, loadSecrets, placeholderReason, REDIS_USER } from './secrets.js';

/** The secured profile's view of a config: secrets loaded, credentials in the Redis URL. */
export interface SecuredConfig extends KuraConfig {
  secrets: KuraSecrets;
}

export const isSecured = (config: KuraConfig): config is SecuredConfig =>
  config.security.enabled && (config as Partial<SecuredConfig>).secrets !== undefined;

/** The config as components read it: secured (secrets loaded) when `security.enabled`, unchanged otherwise. */
export const withSecurity = (config: KuraConfig, env: NodeJS.ProcessEnv = process.env): KuraConfig =>
  config.security.enabled ? securedConfig(config, env) : config;

/** Where the administrative listeners (API, health, metrics) bind. */
export const internalHost = (config: KuraConfig): string => config.security.internalHost ?? config.host;

/** Headers for a WildDuck API call: the master token in the secured profile (never in the URL, which reaches logs). */
export const apiHeaders = (config: KuraConfig): Record<string, string> =>
  isSecured(config) ? { 'x-access-token': config.secrets.apiToken } : {};

/**
 * The guard's (and drills') WildDuck API role: look up and create service
 * accounts, nothing else (no deleting, listing, password resets). Its token
 * lives in WildDuck's token store (Redis), signed with `apiSigningSecret`.
 */
export const GUARD_API_ROLE = 'kura-guard';
export const GUARD_API_USER = 'kura-guard';
export const GUARD_API_GRANTS = { users: { 'create:any': ['*'], 'read:any': ['*'] } };

/**
 * The guard's API token: derived from `apiSigningSecret` (so it needs no
 * secret of its own and rotates with it), 40 hex digits as WildDuck's role
 * tokens must be.
 */
export const guardApiToken = (config: SecuredConfig): string =>
  crypto.createHmac('sha256', config.secrets.apiSigningSecret).update('kura guard api token').digest('hex').slice(0, 40);

/** Headers for the guard's and the drills' API calls: their narrow role token in the secured profile. */
export const guardApiHeaders = (config: KuraConfig): Record<string, string> =>
  isSecured(config) ? { 'x-access-token': guardApiToken(config) } : {};

export const secretsFile = (config: KuraConfig): string =>
  config.security.secretsFile ? path.resolve(config.dataDir, config.security.secretsFile) : path.join(config.dataDir, 'secrets.json');

/**
 * Switches a config to the secured profile: loads (or generates) the secrets,
 * puts the Redis credentials into the Redis URL when Kura builds that URL
 * itself, and replaces the demo and canary passwords that were left at their
 * built-in defaults by generated ones. Idempotent.
 */
export function securedConfig(config: KuraConfig, env: NodeJS.ProcessEnv = process.env): SecuredConfig {
  if (isSecured(config)) return config;
  const secrets = loadSecrets(secretsFile(config), env);
  const credentials = { username: REDIS_USER, password: secrets.redisPassword, sentinelPassword: secrets.sentinelPassword };
  let redisUrl = config.redisUrl;
  if (config.redis.url === undefined) {
    const target = parseSentinelUrl(redisUrl);
    redisUrl = target
      ? sentinelUrl(
          target.sentinels.map((s) => `${s.host}:${s.port}`),
          target.name,
          target.db,
          credentials,
        )
      : `redis://${REDIS_USER}:${encodeURIComponent(secrets.redisPassword)}@${config.host}:${config.ports.redis}/${config.redis.db}`;
  }
  const atDefault = (value: string) => placeholderReason(value) === 'is the built-in default';
  return {
    ...config,
    security: { ...config.security, enabled: true },
    redisUrl,
    secrets,
    demo: { ...config.demo, password: atDefault(config.demo.password) ? secrets.demoPassword : config.demo.password },
    guard: {
      ...config.guard,
      canary: {
        ...config.guard.canary,
        password: atDefault(config.guard.canary.password) ? secrets.canaryPassword : config.guard.canary.password,
      },
    },
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
export const isLoopback = (host: string): boolean => LOOPBACK.test(host);

/**
 * Refuses a start that would expose Kura beyond this host without the
 * secured profile, or with a default or placeholder secret; names the setting
 * and the fix. Returns quietly on loopback.
 */
export function assertSafeToExpose(config: KuraConfig): void {
  const exposed = [config.host, config.security.internalHost, config.ha.haproxy.host].filter(
    (h): h is string => h !== undefined && !isLoopback(h),
  );
  if (exposed.length === 0) return;
  const where = `non-loopback address ${exposed[0]}`;
  if (!config.security.enabled) {
    throw new Error(
      `refusing to start on ${where} without the secured profile: set "security": { "enabled": true } in kura.config.json (TLS, API token, Redis passwords; see docs/security.md)`,
    );
  }
  const secured = isSecured(config) ? config : securedConfig(config);
  const candidates: Array<[string, string | undefined]> = [
    ['demo.password', secured.demo.password],
    ['guard.canary.password', secured.guard.canary.password],
    ...Object.entries(secured.secrets).map(([k, v]): [string, string] => [`secret ${k}`, v]),
  ];
  for (const [name, value] of candidates) {
    const reason = value === undefined ? undefined : placeholderReason(value);
    if (reason) {
      throw new Error(
        `refusing to start on ${where}: ${name} ${reason}; set a strong value (or delete it from the config so that a random one is generated into ${secretsFile(config)})`,
      );
    }
  }
  if (!config.security.tls.cert || !config.security.tls.key) {
    throw new Error(`refusing to start on ${where} without certificates: set security.tls.cert and security.tls.key (PEM paths)`);
  }
}
