import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_COUNTER_SETTINGS } from '../config.js';

/**
 * Sliding-window failure counters (credential guessing: client authentication and logins on the token endpoint).
 * In one process they live in memory; with REDIS_URL they live in Redis so every process
 * counts the same failures.
 */
export interface Limiter {
  /**
   * Failures recorded under `key` within the last `windowMs` before `now`. `limit` is the count
   * at which the caller refuses; a key the limiter cannot track answers `limit` (refused).
   */
  count(key: string, windowMs: number, now: number, limit: number): Promise<number>;
  /** Records one failure; returns the new count within the window. */
  record(key: string, windowMs: number, now: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

interface Failures {
  /** Times of the failures within the window, oldest first. */
  hits: number[];
  windowMs: number;
  /** The count at which this key is locked out. */
  limit: number;
}

/**
 * Failure counters in memory, at most `maxKeys` keys. A key whose count is at its limit is a live
 * lockout and is never evicted while it lasts, so a flood of new keys (many addresses, many user
 * names) cannot erase it. When the table is full, keys whose failures have all left the window
 * go first, then keys below their limit, least recently failed first, down to 90 % of
 * `maxKeys`. If every key is a live lockout there is no room: a new key is then refused (its
 * count answers its limit, so the request gets 429) instead of being let through uncounted,
 * until enough lockouts have expired to get back to 90 % (one sweep per such period, so a full
 * table costs no scan per request).
 */
export class MemoryLimiter implements Limiter {
  private readonly hits = new Map<string, Failures>();
  private readonly maxKeys: number;
  /** While `now` is before this, the table holds only live lockouts: no room for a new key. */
  private fullUntil = -Infinity;

  constructor(maxKeys: number = DEFAULT_COUNTER_SETTINGS.failureKeys) {
    this.maxKeys = maxKeys;
  }

  private live(key: string, windowMs: number, now: number): Failures | undefined {
    const entry = this.hits.get(key);
    if (entry === undefined) return undefined;
    if ((entry.hits[0] as number) <= now - windowMs) entry.hits = entry.hits.filter((t) => t > now - windowMs);
    if (entry.hits.length > 0) return entry;
    this.hits.delete(key);
    return undefined;
  }

  /** Whether a new key fits, after evicting what may be evicted (see the class comment). */
  private room(now: number): boolean {
    if (this.hits.size < this.maxKeys) return true;
    if (now < this.fullUntil) return false;
    const target = Math.floor(this.maxKeys * 0.9);
    const locked: number[] = [];
    // Map order is least recently failed first (record re-inserts), so evictable keys go oldest first.
    for (const [key, entry] of this.hits) {
      const inWindow = entry.hits.filter((t) => t > now - entry.windowMs);
      if (inWindow.length >= entry.limit) {
        // Locked until the failure that makes it reach its limit leaves the window.
        locked.push((inWindow[inWindow.length - entry.limit] as number) + entry.windowMs);
      } else if (inWindow.length === 0 || this.hits.size > target) {
        this.hits.delete(key);
      } else {
        entry.hits = inWindow;
      }
    }
    if (this.hits.size > target) {
      // Only live lockouts are left (every other key went while the table was above target): no
      // new sweep until enough of them have expired to get back to the target.
      locked.sort((a, b) => a - b);
      this.fullUntil = locked[Math.min(locked.length, this.hits.size - target) - 1] ?? now;
    }
    return this.hits.size < this.maxKeys;
  }

  async count(key: string, windowMs: number, now: number, limit: number): Promise<number> {
    const entry = this.live(key, windowMs, now);
    if (entry !== undefined) return entry.hits.length;
    return this.room(now) ? 0 : limit;
  }

  async record(key: string, windowMs: number, now: number, limit: number): Promise<number> {
    let entry = this.live(key, windowMs, now);
    if (entry === undefined) {
      if (!this.room(now)) return limit;
      entry = { hits: [], windowMs, limit };
    } else {
      this.hits.delete(key);
    }
    entry.hits.push(now);
    entry.windowMs = windowMs;
    entry.limit = limit;
    this.hits.set(key, entry);
    return entry.hits.length;
  }

  async close(): Promise<void> {
    this.hits.clear();
  }
}

export class RedisLimiter implements Limiter {
  private readonly redis: Redis;
  private readonly prefix: string;

  /** `redis` belongs to the caller (limits/counters.ts), which closes it. */
  constructor(redis: Redis, prefix = 'sessionlink:fail:') {
    this.redis = redis;
    this.prefix = prefix;
  }

  async count(key: string, windowMs: number, now: number, _limit?: number): Promise<number> {
    const k = this.prefix + key;
    // One round trip, not two: every token request counts its client's failures first.
    const result = await this.redis.multi().zremrangebyscore(k, '-inf', now - windowMs).zcard(k).exec();
    // A command's own error (say, a key of the wrong type) must not read as "no failures".
    const failed = result?.find(([error]) => error !== null);
    if (result === null || failed !== undefined) throw failed?.[0] ?? new Error('Redis MULTI was discarded');
    return Number(result[1]?.[1] ?? 0);
  }

  async record(key: string, windowMs: number, now: number, _limit?: number): Promise<number> {
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

  async close(): Promise<void> {
    // Nothing of its own: the keys live in Redis, and the client is closed by its owner.
  }
}
