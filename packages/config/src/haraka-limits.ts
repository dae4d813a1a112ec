import { parseSentinelUrl } from './redis-url.js';
import type { KuraConfig } from './resolve.js';

/**
 * Admission control through haraka-plugin-limit: per-IP concurrency and
 * connection rate, recipients per IP, per envelope sender and per recipient,
 * counted in Redis so every MX instance shares the same budget. Returns no
 * files (the plugin stays off) when Redis is reached through Sentinel, which
 * that plugin's Redis client cannot follow.
 */
export function renderAdmissionLimits(config: KuraConfig): Record<string, string> | undefined {
  if (parseSentinelUrl(config.redisUrl)) return undefined;
  const url = new URL(config.redisUrl);
  const limits = config.smtp.limits;
  const sections: string[] = ['[main]\ntarpit_delay=0\n', `[redis]\ndatabase=${Number(url.pathname.slice(1) || 0)}\n`];
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
  const server = [`host=${url.hostname}`, `port=${url.port || 6379}`];
  if (url.password) server.push(`password=${decodeURIComponent(url.password)}`);
  return {
    'config/limit.ini': sections.join('\n'),
    'config/redis.ini': `[server]\n${server.join('\n')}\n`,
  };
}
