import { parseSentinelUrl } from './redis-url.js';
import type { KuraConfig } from './resolve.js';

/**
 * Admission control through haraka-plugin-limit: per-IP concurrency and
 * connection rate, recipients per IP, per envelope sender and per recipient,
 * counted in Redis so every MX instance shares the same budget. With Redis
 * behind Sentinel the plugin is loaded through Kura's wrapper
 * (`sentinelLimitModule`), whose Redis client follows failovers; without that
 * module the limits stay off rather than count against a primary that moved.
 */
export function renderAdmissionLimits(config: KuraConfig, sentinelLimitModule?: string): Record<string, string> | undefined {
  const sentinel = parseSentinelUrl(config.redisUrl);
  if (sentinel && !sentinelLimitModule) return undefined;
  const limits = config.smtp.limits;
  const db = sentinel ? sentinel.db : Number(new URL(config.redisUrl).pathname.slice(1) || 0);
  const sections: string[] = ['[main]\ntarpit_delay=0\n', `[redis]\ndatabase=${db}\n`];
  if (limits.concurrentConnectionsPerIp > 0) sections.push(`[concurrency]\nenabled=true\nmax=${limits.concurrentConnectionsPerIp}\n`);
  // A client that keeps sending garbage is disconnected rather than served forever.
  sections.push('[errors]\nenabled=true\nmax=10\n', '[unrecognized_commands]\nenabled=true\nmax=10\n');
  const rates: Array<[string, string]> = [
    ['rate_conn', limits.connectionsPerIp],
    ['rate_rcpt_host', limits.recipientsPerIp],
    ['rate_rcpt_sender', limits.recipientsPerSender],
    ['rate_rcpt', limits.messagesPerRecipient],
  ];
  for (const [section, rate] of rates) if (rate !== '0') sections.push(`[${section}]\nenabled=true\ndefault=${rate}\n`);
  if (sentinel && sentinelLimitModule) {
    // A folder plugin named `limit` in Haraka's own dir wins over the npm package of that name.
    return {
      'config/limit.ini': sections.join('\n'),
      'plugins/limit/package.json': `${JSON.stringify({ name: 'limit', private: true, main: 'index.js' }, null, 2)}\n`,
      'plugins/limit/index.js': `module.exports = require(${JSON.stringify(sentinelLimitModule)}).default;\n`,
    };
  }
  const url = new URL(config.redisUrl);
  const server = [`host=${url.hostname}`, `port=${url.port || 6379}`];
  if (url.password) server.push(`password=${decodeURIComponent(url.password)}`);
  return {
    'config/limit.ini': sections.join('\n'),
    'config/redis.ini': `[server]\n${server.join('\n')}\n`,
  };
}
