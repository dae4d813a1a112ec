import { loadConfig } from '@kura/config';
import { formatEndpoints } from '../stack/endpoints.js';
import { formatHaEndpoints } from '../stack/ha.js';
import { type RunningStack, startStack } from '../stack/stack.js';

export interface UpOptions {
  config?: string;
  ha?: boolean;
}

/** `kura up`: run the whole local stack in the foreground until Ctrl-C. */
export async function up(options: UpOptions): Promise<void> {
  const config = loadConfig({ file: options.config });
  let stopping = false;
  let stack: RunningStack | undefined;
  const say = (line: string) => process.stdout.write(`\x1b[1mkura     \x1b[0m| ${line}\n`);

  const interrupted = new AbortController();
  const onSignal = () => {
    if (stack) void shutdown(0);
    else interrupted.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  stack = await startStack(config, {
    signal: interrupted.signal,
    ha: options.ha,
    echo: process.stdout,
    say,
    onUnexpectedExit: (name, code, signal) => {
      // During start-up the supervisor reports the failure itself.
      if (stopping || !stack) return;
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack. Its log: ${config.paths.logs}/${name}.log`);
      void shutdown(1);
    },
  });

  async function shutdown(exitCode: number) {
    if (stopping) return;
    stopping = true;
    say('stopping all services…');
    await stack?.stop();
    say('stopped.');
    process.exit(exitCode);
  }

  process.stdout.write(`\n${formatEndpoints(stack.endpoints, config.paths.endpoints)}\n\n`);
  if (options.ha) process.stdout.write(`${formatHaEndpoints(config)}\n\n`);
}
