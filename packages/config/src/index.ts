export { type HarakaFiles, type HarakaOptions, renderHarakaConfig } from './haraka.js';
export { ConfigError, DEFAULT_CONFIG_FILE, type LoadOptions, loadConfig, readResolvedConfig } from './load.js';
export { type KuraConfig, resolveConfig } from './resolve.js';
export { type KuraConfigFile, type KuraConfigInput, kuraConfigSchema } from './schema.js';
export { renderWildDuckConfig, type WildDuckPorts } from './wildduck.js';
export { parseSentinelUrl, redisConnectionOptions, type SentinelTarget, sentinelUrl } from './redis-url.js';
export { renderHaproxyConfig, renderSentinelConfig } from './ha.js';
