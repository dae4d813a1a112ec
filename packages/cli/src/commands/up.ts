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
    // A crashed service comes back after a back-off; the rest of the stack keeps serving.
    onCrash: (r) => {
      if (stopping) return;
      const loop = r.crashLoop ? ' (crash loop: check the log before it fills)' : '';
      say(
        `${r.service} exited unexpectedly (${r.signal ?? `code ${r.code}`}); restarting in ${r.delayMs / 1000} s, restart ${r.restarts}${loop}. Its log: ${config.paths.logs}/${r.service}.log`,
      );
    },
    onRestarted: (name, pid) => say(`${name} answers again (pid ${pid})`),
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
