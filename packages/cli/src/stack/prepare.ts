import fs from 'node:fs';
import path from 'node:path';
import { type KuraConfig, renderHarakaConfig, renderWildDuckConfig } from '@kura/config';
import { pluginModule, sentinelLimitModule } from '@kura/inbound';
import { prepareRspamd } from './rspamd.js';
import { SetupError } from './services.js';

/**
 * Creates the data directory layout and writes every generated config file.
 * Generated files are rewritten on every start, so they always match kura.config.json.
 */
export function prepareDataDir(config: KuraConfig): void {
  const { paths } = config;
  for (const dir of [config.dataDir, paths.run, paths.logs, paths.ferretdb, paths.redis, paths.harakaDir]) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (err) {
      throw new SetupError(
        `data directory ${dir} is not usable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose another with dataDir in kura.config.json or KURA_DATA_DIR`,
      );
    }
  }
  write(paths.resolvedConfig, `${JSON.stringify(config, null, 2)}\n`);
  write(paths.wildduckConfig, renderWildDuckConfig(config));
  const haraka = renderHarakaConfig(config, { pluginModule, sentinelLimitModule });
  for (const [file, content] of Object.entries(haraka)) write(path.join(paths.harakaDir, file), content);
  prepareRspamd(config);
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
