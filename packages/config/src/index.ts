export {
  DEPLOY_RENDER_COMMAND,
  deployHaproxyProfile,
  deploySentinelProfile,
  HAPROXY_STATS_PASSWORD_ENV,
  renderDeployFiles,
  renderDeployRedisConfig,
} from './deploy.js';
export { pop3StlsEverywhere, renderHaproxyConfig, renderUnavailableLua } from './ha.js';
export { type FrontendLimits, type HaproxyProfile, type HttpsFronts, localHaproxyProfile } from './haproxy-profile.js';
export { type HarakaFiles, type HarakaOptions, MAX_DATA_LINE_BYTES, renderHarakaConfig } from './haraka.js';
export { DATA_TERMINATION_MS, HARAKA_MARGIN_MS, type HookTimeout, hookTimeouts, type KuraHook } from './hook-timeouts.js';
export { ConfigError, DEFAULT_CONFIG_FILE, type LoadOptions, loadConfig, readResolvedConfig } from './load.js';
export { parseSentinelUrl, redisConnectionOptions, type SentinelCredentials, type SentinelTarget, sentinelUrl } from './redis-url.js';
export { type KuraConfig, resolveConfig } from './resolve.js';
export { reversedIp } from './reversed-ip.js';
export { phpLiteral, type RoundcubeFiles, type RoundcubeOptions, renderRoundcubeConfig, roundcubePaths, webmailUrl } from './roundcube.js';
export { RSPAMD_DISABLED_MODULES, type RspamdFiles, renderRspamdConfig, rspamdPaths, rspamdUrl, runsLocalRspamd } from './rspamd.js';
export { type KuraConfigFile, type KuraConfigInput, kuraConfigSchema } from './schema.js';
export { type KuraSecrets, loadSecrets, placeholderReason, REDIS_USER, redactSecrets, SECRET_ENV } from './secrets.js';
export {
  apiHeaders,
  assertSafeToExpose,
  GUARD_API_ROLE,
  GUARD_API_USER,
  guardApiHeaders,
  guardApiToken,
  internalHost,
  isLoopback,
  isSecured,
  type SecuredConfig,
  secretsFile,
  securedConfig,
  withSecurity,
} from './security.js';
export { localSentinelProfile, renderSentinelConfig, type SentinelProfile } from './sentinel.js';
export { serviceMain } from './service-main.js';
export { renderWildDuckConfig, type WildDuckPorts } from './wildduck.js';
