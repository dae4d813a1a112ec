import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Directory of the pinned WildDuck package: its server is started from there so it finds its default config. */
export const wildduckRoot = path.dirname(require.resolve('@zone-eu/wildduck/package.json'));

const ferretdbPreload = require.resolve('@kura/store/ferretdb-preload');

export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface WildDuckProcessOptions {
  /** The data tier is the local FerretDB: preload the store's adapter for its gaps. */
  ferretdb: boolean;
  /** Serve a deep health endpoint for HAProxy (high-availability stack). */
  health?: {
    /** Where IMAP and POP3 are checked. */
    host: string;
    /** Where the health endpoint listens, and the API is checked (the internal address); default `host`. */
    bind?: string;
    port: number;
    imap: number;
    pop3: number;
    api: number;
    /** Secured profile: the API's token, the CA the POP3 TLS greeting is checked with, POP3 over implicit TLS. */
    apiToken?: string;
    tlsCa?: string;
    pop3Tls?: boolean;
    /** The instance expects the PROXY protocol on IMAP and POP3. */
    proxyProtocol?: boolean;
  };
  /** Certificate and key files whose change makes the instance reload its TLS listeners. */
  tlsWatch?: string[];
  /** Per-IP failed-login limit shared through Redis (secured profile); unset or 0 failures: WildDuck's own (off). */
  loginLimit?: { failures: number; windowSeconds: number; blockSeconds: number; exempt?: readonly string[] };
}

const healthPreload = require.resolve('./health-preload.js');
const tlsReloadPreload = require.resolve('./tls-reload-preload.js');
const loginLimitPreload = require.resolve('./login-limit-preload.js');

/** How to run one WildDuck instance (IMAP, POP3 and API in one process) with a rendered config overlay. */
export function wildduckProcess(configFile: string, options: WildDuckProcessOptions): ProcessSpec {
  const preload = options.ferretdb ? ['--import', ferretdbPreload] : [];
  const env: Record<string, string> = { NODE_ENV: 'production', NODE_CONFIG_DIR: path.join(wildduckRoot, 'config') };
  const { health } = options;
  if (health) {
    preload.push('--import', healthPreload);
    Object.assign(env, {
      KURA_HEALTH_HOST: health.host,
      ...(health.bind ? { KURA_HEALTH_BIND: health.bind } : {}),
      KURA_HEALTH_PORT: String(health.port),
      KURA_HEALTH_IMAP: String(health.imap),
      KURA_HEALTH_POP3: String(health.pop3),
      KURA_HEALTH_API: String(health.api),
      ...(health.apiToken ? { KURA_HEALTH_API_TOKEN: health.apiToken } : {}),
      ...(health.pop3Tls ? { KURA_HEALTH_POP3_TLS: '1', KURA_HEALTH_TLS_CA: health.tlsCa ?? '' } : {}),
      ...(health.proxyProtocol ? { KURA_HEALTH_PROXY: '1' } : {}),
    });
  }
  if (options.tlsWatch?.length) {
    preload.push('--import', tlsReloadPreload);
    env.KURA_TLS_WATCH = options.tlsWatch.join(':');
  }
  if (options.loginLimit && options.loginLimit.failures > 0) {
    preload.push('--import', loginLimitPreload);
    env.KURA_LOGIN_FAILURES = String(options.loginLimit.failures);
    env.KURA_LOGIN_WINDOW_SECONDS = String(options.loginLimit.windowSeconds);
    env.KURA_LOGIN_BLOCK_SECONDS = String(options.loginLimit.blockSeconds);
    env.KURA_LOGIN_EXEMPT = (options.loginLimit.exempt ?? []).join(',');
  }
  return {
    command: process.execPath,
    args: [...preload, path.join(wildduckRoot, 'server.js'), `--config=${configFile}`],
    cwd: wildduckRoot,
    env,
  };
}
