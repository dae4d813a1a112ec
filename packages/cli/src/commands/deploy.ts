import fs from 'node:fs';
import path from 'node:path';
import { DEPLOY_RENDER_COMMAND, loadConfig, renderDeployFiles } from '@kura/config';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

interface RenderOptions {
  out: string;
  config?: string;
  check?: boolean;
}

/** `kura deploy render`: deploy/'s HAProxy, Lua, Sentinel and Redis files, from the same builders `kura up --ha` uses. */
export function registerDeployCommands(program: Command): void {
  const deploy = program.command('deploy').description('the production reference topology (deploy/)');
  deploy
    .command('render')
    .description("write deploy/'s generated HAProxy, Lua, Sentinel and Redis files from its kura.config.json")
    .option('--out <dir>', 'the deploy directory', 'deploy')
    .option('-c, --config <file>', 'config file (default: <out>/kura.config.json)')
    .option('--check', 'write nothing; fail if a file differs from what would be written')
    .action(render);
}

function render(options: RenderOptions): void {
  const file = options.config ?? path.join(options.out, 'kura.config.json');
  // No environment overrides: the files depend on the config file alone, so every checkout renders the same.
  const files = renderDeployFiles(loadConfig({ file, env: {} }));
  const stale: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(options.out, name);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    stale.push(target);
    if (options.check) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  }
  if (options.check && stale.length > 0) {
    throw new CliError(`${stale.join(', ')} differ from what ${file} generates: run \`${DEPLOY_RENDER_COMMAND}\``);
  }
  if (stale.length === 0) process.stdout.write(`${Object.keys(files).length} files in ${options.out} are up to date\n`);
}
