import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Session {
  userId: string;
  username: string;
  address: string;
  /** The token every form of this session carries (CSRF). */
  csrf: string;
}

const PREFIX = 'kura:selfservice:session:';
/** Redis holds a hash of the cookie value, so a copy of Redis does not hand out live sessions. */
const key = (id: string) => PREFIX + crypto.createHash('sha256').update(id).digest('hex');

/**
 * Sessions in Redis (shared by every instance of the page, gone on logout,
 * expiring after the idle time). The cookie carries only a random id.
 */
export class Sessions {
  constructor(
    private readonly redis: Redis,
    private readonly idleSeconds: number,
  ) {}

  async open(user: Omit<Session, 'csrf'>): Promise<{ id: string; session: Session }> {
    const id = crypto.randomBytes(32).toString('base64url');
    const session: Session = { ...user, csrf: crypto.randomBytes(32).toString('base64url') };
    await this.redis.set(key(id), JSON.stringify(session), 'EX', this.idleSeconds);
    return { id, session };
  }

  /** The session for a cookie value, its idle timer restarted; undefined when unknown or expired. */
  async find(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 100) return undefined;
    const raw = await this.redis.getex(key(id), 'EX', this.idleSeconds);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  }

  async close(id: string): Promise<void> {
    await this.redis.del(key(id));
  }
}

/** Constant-time comparison of two tokens. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
