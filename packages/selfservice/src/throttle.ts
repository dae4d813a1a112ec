import type { Redis } from 'ioredis';

const PREFIX = 'kura:selfservice:failed-logins:';

/**
 * Failed logins per client IP, counted in Redis over a fixed window (shared by
 * every instance): past the limit, logins from that IP are refused without
 * asking WildDuck, until the window ends.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly max: number,
    private readonly windowSeconds: number,
  ) {}

  async blocked(ip: string): Promise<boolean> {
    return Number((await this.redis.get(PREFIX + ip)) ?? 0) >= this.max;
  }

  async failed(ip: string): Promise<number> {
    const [[, count]] = (await this.redis
      .multi()
      .incr(PREFIX + ip)
      .expire(PREFIX + ip, this.windowSeconds, 'NX')
      .exec()) as [[null, number]];
    return count;
  }
}
