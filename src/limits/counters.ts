import type { Redis } from 'ioredis';
import { MemoryLimiter, RedisLimiter, type Limiter } from './failures.js';
import { WindowCounter } from './window-counter.js';

/**
 * The one place the app gets its counters from, and the one Redis client they share.
 *
 * Two kinds of count, because they need different guarantees:
 * - `failures` (failures.ts): exact sliding logs of failed secrets and passwords. A guess must be
 *   counted before the next one is checked, across every process: with Redis each check is a
 *   round trip to one sorted set.
 * - `windows` (window-counter.ts): approximate sliding windows for request budgets (guest floods,
 *   per-key quotas), O(1) and synchronous per request; with Redis they exchange counts in the
 *   background about once a second.
 *
 * Without REDIS_URL both live in this process's memory.
 */
export class Counters {
  readonly failures: Limiter;
  readonly windows: WindowCounter;
  private readonly redis: Redis | null;

  constructor(now: () => number, redis: Redis | null) {
    this.redis = redis;
    this.failures = redis === null ? new MemoryLimiter() : new RedisLimiter(redis);
    this.windows = new WindowCounter(now, redis);
  }

  /** Whether the shared store answers (readiness): always true in memory. */
  async ping(): Promise<boolean> {
    if (this.redis === null) return true;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Sends the last budget counts to Redis, then closes the client. */
  async close(): Promise<void> {
    await this.windows.close();
    await this.failures.close();
    if (this.redis !== null) await this.redis.quit();
  }
}

/** Opens the counters: in memory, or on one Redis client when `redisURL` is set. */
export async function openCounters(now: () => number, redisURL: string | null): Promise<Counters> {
  if (redisURL === null) return new Counters(now, null);
  const { Redis } = await import('ioredis');
  return new Counters(now, new Redis(redisURL, { maxRetriesPerRequest: 2, enableOfflineQueue: true }));
}
