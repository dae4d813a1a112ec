import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/load.js';
import { parseSentinelUrl, redisConnectionOptions, sentinelUrl } from '../src/redis-url.js';

describe('Redis through Sentinel', () => {
  it('round-trips a Sentinel URL and hands ioredis sentinel options', () => {
    const url = sentinelUrl(['10.0.0.1:26379', 'redis-b:26379'], 'kura', 3);
    expect(url).toBe('redis+sentinel://10.0.0.1:26379,redis-b:26379/kura/3');
    expect(parseSentinelUrl(url)).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'redis-b', port: 26379 },
      ],
      name: 'kura',
      db: 3,
    });
    expect(redisConnectionOptions('redis://r:6379/2')).toBe('redis://r:6379/2');
    expect(() => parseSentinelUrl('redis+sentinel://nohostport/kura/1')).toThrow(/host:port/);
  });

  it('redis.sentinels in the config file makes every component use Sentinel and starts no local Redis', () => {
    const config = loadConfig({
      cwd: '/nonexistent',
      env: {},
      overrides: { redis: { sentinels: ['s1:26379', 's2:26379', 's3:26379'], name: 'mail' } },
    });
    expect(config.redisUrl).toBe('redis+sentinel://s1:26379,s2:26379,s3:26379/mail/3');
    expect(config.local.redis).toBe(false);
    expect(() => loadConfig({ cwd: '/nonexistent', env: {}, overrides: { redis: { sentinels: ['nope'] } } })).toThrow(
      /redis\.sentinels\.0/,
    );
  });
});
