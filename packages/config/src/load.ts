import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type KuraConfig, resolveConfig } from './resolve.js';
import { type KuraConfigInput, kuraConfigSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'kura.config.json';

/** A configuration problem, worded for the operator, naming the file and the fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** Explicit config file; it must exist. Without it, ./kura.config.json is read if present. */
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over the file (used by tests and by command-line flags). */
  overrides?: KuraConfigInput;
}

export function loadConfig(options: LoadOptions = {}): KuraConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.file ?? env.KURA_CONFIG;
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);

  let fromFile: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    fromFile = readJson(file);
  } else if (explicit) {
    throw new ConfigError(`config file ${file} does not exist (create it, or drop --config / KURA_CONFIG)`);
  }

  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), options.overrides ?? {});
  const parsed = kuraConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration (${path.basename(file)}):\n${describeIssues(parsed.error)}`);
  }
  return resolveConfig(parsed.data, path.dirname(file));
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('the top level must be a JSON object');
    }
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, Record<string, unknown> | string> = {};
  if (env.MONGODB_URI) out.mongodb = { uri: env.MONGODB_URI };
  if (env.REDIS_URL) out.redis = { url: env.REDIS_URL };
  if (env.KURA_DATA_DIR) out.dataDir = env.KURA_DATA_DIR;
  return out;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `  - ${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('\n');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Reads the resolved configuration a supervisor wrote for its child processes. */
export function readResolvedConfig(file: string): KuraConfig {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as KuraConfig;
  } catch (err) {
    throw new ConfigError(`cannot read resolved config ${file}: ${(err as Error).message}`);
  }
}
