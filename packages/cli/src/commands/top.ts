import { loadConfig, redactSecrets, withSecurity } from '@kura/config';
import { connectRedis, readTopTalkers, type TopTalkers } from '@kura/store';
import Table from 'cli-table3';
import { CliError } from '../errors.js';

export interface TopOptions {
  config?: string;
  minutes: string;
  limit: string;
  interval: string;
  once?: boolean;
}

/**
 * `kura top`: the busiest client IPs, envelope senders and recipients over the
 * last minutes, counted by every MX in Redis. Live (refreshing) on a terminal;
 * one JSON document per refresh when piped, or once with --once.
 */
export async function top(options: TopOptions): Promise<void> {
  const config = withSecurity(loadConfig({ file: options.config }));
  const minutes = positive(options.minutes, '--minutes');
  const limit = positive(options.limit, '--limit');
  const interval = positive(options.interval, '--interval');
  const redis = connectRedis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  redis.on('error', () => {});
  try {
    await redis.connect().catch((err: Error) => {
      throw new CliError(`cannot reach Redis at ${redactSecrets(config.redisUrl)} (${err.message}); is the stack running (npm start)?`);
    });
    const live = process.stdout.isTTY && !options.once;
    for (;;) {
      const talkers = await readTopTalkers(redis, minutes, limit);
      if (live) process.stdout.write(`\x1b[2J\x1b[H${render(talkers, minutes)}\n(refreshing every ${interval} s, Ctrl-C to quit)\n`);
      else process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), minutes, ...talkers })}\n`);
      if (options.once) return;
      await new Promise((r) => setTimeout(r, interval * 1000));
    }
  } finally {
    redis.disconnect();
  }
}

function render(talkers: TopTalkers, minutes: number): string {
  const titles = { ip: 'client IP', sender: 'envelope sender', recipient: 'recipient' } as const;
  const parts = (Object.keys(titles) as Array<keyof typeof titles>).map((dimension) => {
    const table = new Table({ head: [titles[dimension], `attempts (${minutes} min)`] });
    for (const { name, count } of talkers[dimension]) table.push([name, count]);
    if (talkers[dimension].length === 0) table.push(['(no traffic)', 0]);
    return table.toString();
  });
  return `Kura top — recipient attempts over the last ${minutes} minutes\n\n${parts.join('\n')}`;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}
