// Where a compatibility run finds WildDuck's suite and writes its results.
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const WILDDUCK = path.join(ROOT, 'node_modules/@zone-eu/wildduck');
export const FERRETDB_SRC = path.join(ROOT, 'tools/ferretdb');
export const OUT_DIR = path.join(ROOT, '.kura/compat');
export const LOG_DIR = path.join(OUT_DIR, 'logs');
export const MOCHA_BIN = path.join(ROOT, 'node_modules/mocha/bin/mocha.js');
// Same values as WildDuck's test set-up: config/test.toml and `npm test`.
export const DB_NAME = 'wildduck-test';
export const REDIS_DB = 13;

export type PortName = 'ferretdb' | 'redis' | 'api' | 'imap' | 'pop3' | 'lmtp' | 'metrics' | 'mcp';
export type Ports = Record<PortName, number>;
export const PORT_NAMES: PortName[] = ['ferretdb', 'redis', 'api', 'imap', 'pop3', 'lmtp', 'metrics', 'mcp'];
