import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Absolute path of the compiled Haraka plugin module (for Haraka's config dir). */
export const pluginModule = path.join(path.dirname(new URL(import.meta.url).pathname), 'plugin.js');

/** Absolute path of haraka-plugin-limit with a Sentinel-aware Redis client (for Redis behind Sentinel). */
export const sentinelLimitModule = path.join(path.dirname(new URL(import.meta.url).pathname), 'limit-sentinel.js');

/** Haraka's own launcher script, from the pinned Haraka package. */
export const harakaBin = path.join(path.dirname(require.resolve('Haraka/package.json')), 'bin', 'haraka');
