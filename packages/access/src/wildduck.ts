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
}

/** How to run one WildDuck instance (IMAP, POP3 and API in one process) with a rendered config overlay. */
export function wildduckProcess(configFile: string, options: WildDuckProcessOptions): ProcessSpec {
  const preload = options.ferretdb ? ['--import', ferretdbPreload] : [];
  return {
    command: process.execPath,
    args: [...preload, path.join(wildduckRoot, 'server.js'), `--config=${configFile}`],
    cwd: wildduckRoot,
    env: { NODE_ENV: 'production', NODE_CONFIG_DIR: path.join(wildduckRoot, 'config') },
  };
}
