import { loadConfig } from '@kura/config';
import { formatEndpoints } from '../stack/endpoints.js';
import { startStack } from '../stack/stack.js';

export interface UpOptions {
  config?: string;
}

/** `kura up`: run the whole local stack in the foreground until Ctrl-C. */
export async function up(options: UpOptions): Promise<void> {
  const config = loadConfig({ file: options.config });
  let stopping = false;
  const say = (line: string) => process.stdout.write(`\x1b[1mkura     \x1b[0m| ${line}\n`);

  const stack = await startStack(config, {
    echo: process.stdout,
    say,
    onUnexpectedExit: (name, code, signal) => {
      if (stopping) return;
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack. Its log: ${config.paths.logs}/${name}.log`);
      void shutdown(1);
    },
  });

  async function shutdown(exitCode: number) {
    if (stopping) return;
    stopping = true;
    say('stopping all services…');
    await stack.stop();
    say('stopped.');
    process.exit(exitCode);
  }
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  process.stdout.write(`\n${formatEndpoints(stack.endpoints, config.paths.endpoints)}\n\n`);
}
