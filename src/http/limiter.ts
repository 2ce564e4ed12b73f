import { randomBytes } from 'node:crypto';

/**
 * Sliding-window failure counters (credential guessing: client authentication and logins on the token endpoint).
 * In one process they live in memory; with REDIS_URL they live in Redis so every process
 * counts the same failures.
 */
export interface Limiter {
  /** Failures recorded under `key` within the last `windowMs` before `now`. */
  count(key: string, windowMs: number, now: number): Promise<number>;
  /** Records one failure; returns the new count within the window. */
  record(key: string, windowMs: number, now: number): Promise<number>;
  /** Whether the backing store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const MAX_KEYS = 100_000;

export class MemoryLimiter implements Limiter {
  private readonly hits = new Map<string, number[]>();

  private live(key: string, windowMs: number, now: number): number[] {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (list.length === 0) this.hits.delete(key);
    else this.hits.set(key, list);
    return list;
  }

  async count(key: string, windowMs: number, now: number): Promise<number> {
    return this.live(key, windowMs, now).length;
  }

  async record(key: string, windowMs: number, now: number): Promise<number> {
    if (this.hits.size > MAX_KEYS) {
      // Bounded memory under a flood of distinct keys: drop the oldest entries.
      const drop = Array.from(this.hits.keys()).slice(0, MAX_KEYS / 2);
      for (const k of drop) this.hits.delete(k);
    }
    const list = this.live(key, windowMs, now);
    list.push(now);
    this.hits.set(key, list);
    return list.length;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.hits.clear();
  }
}

export class RedisLimiter implements Limiter {
  private readonly redis: import('ioredis').Redis;
  private readonly prefix: string;

  constructor(redis: import('ioredis').Redis, prefix = 'sessionlink:fail:') {
    this.redis = redis;
    this.prefix = prefix;
  }

  async count(key: string, windowMs: number, now: number): Promise<number> {
    const k = this.prefix + key;
    // One round trip, not two: every token request counts its client's failures first.
    const result = await this.redis.multi().zremrangebyscore(k, '-inf', now - windowMs).zcard(k).exec();
    // A command's own error (say, a key of the wrong type) must not read as "no failures".
    const failed = result?.find(([error]) => error !== null);
    if (result === null || failed !== undefined) throw failed?.[0] ?? new Error('Redis MULTI was discarded');
    return Number(result[1]?.[1] ?? 0);
  }

  async record(key: string, windowMs: number, now: number): Promise<number> {
    const k = this.prefix + key;
    const result = await this.redis.multi()
      .zremrangebyscore(k, '-inf', now - windowMs)
      .zadd(k, now, `${now}-${randomBytes(6).toString('hex')}`)
      .zcard(k)
      .pexpire(k, windowMs)
      .exec();
    const card = result?.[2]?.[1];
    return typeof card === 'number' ? card : 0;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export async function createLimiter(redisURL: string | null): Promise<Limiter> {
  if (redisURL === null) return new MemoryLimiter();
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisURL, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  return new RedisLimiter(redis);
}
