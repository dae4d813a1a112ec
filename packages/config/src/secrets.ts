import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Every secret the secured profile needs; none of them is ever written to kura.config.json. */
export interface KuraSecrets {
  /** WildDuck API master token (root): the CLI, the guard and the drills send it as X-Access-Token. */
  apiToken: string;
  /** HMAC key WildDuck signs its per-user API tokens with (api.accessControl.secret). */
  apiSigningSecret: string;
  /** Password of the Redis ACL user `kura` (the default user is switched off). */
  redisPassword: string;
  /** Password clients and the Sentinels themselves must give a Sentinel. */
  sentinelPassword: string;
  /** Password of the HAProxy stats page and Prometheus endpoint (user `kura`). */
  haproxyStatsPassword: string;
  /** Passwords of the guard's canary and the demo account when the config leaves them at their defaults. */
  canaryPassword: string;
  demoPassword: string;
  /** HMAC key of the SRS addresses forwarded mail is sent from (a bounce to one is reversed only with it). */
  srsSecret: string;
  /** Key WildDuck's DKIM API encrypts private keys with (dkim.secret); the delivery agent decrypts with it. */
  dkimSecret: string;
}

/** The environment variable that overrides each secret (systemd `LoadCredential`, container secrets). */
export const SECRET_ENV: Record<keyof KuraSecrets, string> = {
  apiToken: 'KURA_API_TOKEN',
  apiSigningSecret: 'KURA_API_SIGNING_SECRET',
  redisPassword: 'KURA_REDIS_PASSWORD',
  sentinelPassword: 'KURA_SENTINEL_PASSWORD',
  haproxyStatsPassword: 'KURA_HAPROXY_STATS_PASSWORD',
  canaryPassword: 'KURA_CANARY_PASSWORD',
  demoPassword: 'KURA_DEMO_PASSWORD',
  srsSecret: 'KURA_SRS_SECRET',
  dkimSecret: 'KURA_DKIM_SECRET',
};

export const REDIS_USER = 'kura';

/**
 * Reads the secrets file, generating whatever is missing (32 random bytes,
 * hex) and writing the file back with mode 0600. A secret given in the
 * environment wins and is never written to the file.
 */
export function loadSecrets(file: string, env: NodeJS.ProcessEnv = process.env): KuraSecrets {
  let stored: Partial<KuraSecrets> = {};
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o077;
    if (mode !== 0)
      throw new Error(`secrets file ${file} is readable by group or others (mode ${modeString(file)}); run chmod 600 ${file}`);
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<KuraSecrets>;
    } catch (err) {
      throw new Error(`secrets file ${file} is not valid JSON (${(err as Error).message}); fix it or move it away to generate new secrets`);
    }
  }
  const keys = Object.keys(SECRET_ENV) as Array<keyof KuraSecrets>;
  const missing = keys.filter((k) => !stored[k] && !env[SECRET_ENV[k]]);
  if (missing.length > 0) {
    for (const k of missing) stored[k] = crypto.randomBytes(32).toString('hex');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return Object.fromEntries(keys.map((k) => [k, env[SECRET_ENV[k]] || (stored[k] as string)])) as unknown as KuraSecrets;
}

function modeString(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

/** Every password, token and URL credential in `text` replaced by `***` (for logs and printouts). */
export function redactSecrets(text: string, secrets?: Partial<KuraSecrets>): string {
  let out = text
    .replace(/(\/\/[^:@/\s]*:)[^@/\s]+@/g, '$1***@')
    .replace(/([?&](?:sentinelPassword|password|accessToken)=)[^&\s"]+/gi, '$1***');
  for (const value of Object.values(secrets ?? {})) if (value && value.length >= 8) out = out.split(value).join('***');
  return out;
}

const PLACEHOLDER = /change[-_ ]?(me|this)|placeholder|^(secret|password|default|example|test|demo|admin|kura)[-_]?(password|secret)?$/i;
const SCHEMA_DEFAULTS = new Set(['demo-password', 'kura-canary-password']);

/** Why a secret value must not be used on a public address, or undefined if it may. */
export function placeholderReason(value: string): string | undefined {
  if (SCHEMA_DEFAULTS.has(value)) return 'is the built-in default';
  if (PLACEHOLDER.test(value)) return 'looks like a placeholder';
  if (value.length < 12) return 'is shorter than 12 characters';
  return undefined;
}
