import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_COUNTER_SETTINGS } from '../config.js';
import { DEFAULT_SKETCH_WIDTH, OverflowSketch } from './overflow-sketch.js';

/** At most this many window lengths get a sketch of their own (each one 4 MiB at the default width). */
const MAX_SKETCHES = 4;

/**
 * Sliding-window failure counters (credential guessing: client authentication and logins on the token endpoint).
 * In one process they live in memory; with REDIS_URL they live in Redis so every process
 * counts the same failures.
 */
export interface Limiter {
  /**
   * Failures recorded under `key` within the last `windowMs` before `now`, never fewer (the
   * in-memory limiter may over-count a key it keeps in its overflow sketch). `limit` is the count
   * at which the caller refuses.
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
 * Failure counters in memory: an exact table of at most `maxKeys` keys, and a fixed-size
 * over-counting sketch (overflow-sketch.ts) for the keys it has no room for.
 *
 * A key whose count is at its limit is a live lockout and is never evicted while it lasts, so a
 * flood of new keys (many addresses, many user names) cannot erase it. When the table is full,
 * keys whose failures have all left the window go first, then keys below their limit, least
 * recently failed first, down to 90 % of `maxKeys`. If every key is a live lockout there is no
 * room: a new key's failures are then counted in the sketch until enough lockouts have expired
 * to get back to 90 % (one sweep per such period, so a full table costs no scan per request).
 * A key's count is its exact count plus its sketch count, never less than its true count; a
 * client without failures reads 0 unless it collides in every row of the sketch, so a table full
 * of an attacker's lockouts refuses nobody else.
 */
export class MemoryLimiter implements Limiter {
  private readonly hits = new Map<string, Failures>();
  private readonly maxKeys: number;
  private readonly sketchWidth: number;
  /** One sketch per window length, made at the first overflow (sites may set their own window). */
  private readonly overflow = new Map<number, OverflowSketch>();
  /** While `now` is before this, the table holds only live lockouts: no room for a new key. */
  private fullUntil = -Infinity;

  constructor(maxKeys: number = DEFAULT_COUNTER_SETTINGS.failureKeys, sketchWidth: number = DEFAULT_SKETCH_WIDTH) {
    this.maxKeys = maxKeys;
    this.sketchWidth = sketchWidth;
  }

  /**
   * The sketch for `windowMs`. Past MAX_SKETCHES window lengths, the one with the shortest
   * window not shorter than `windowMs` (a longer window over-counts, never under-counts); null
   * when there is none.
   */
  private sketchFor(windowMs: number, create: boolean): OverflowSketch | null {
    const own = this.overflow.get(windowMs);
    if (own !== undefined) return own;
    if (create && this.overflow.size < MAX_SKETCHES) {
      const made = new OverflowSketch(windowMs, this.sketchWidth);
      this.overflow.set(windowMs, made);
      return made;
    }
    let best: OverflowSketch | null = null;
    for (const sketch of this.overflow.values()) {
      if (sketch.windowMs >= windowMs && (best === null || sketch.windowMs < best.windowMs)) best = sketch;
    }
    return best;
  }

  /** What the overflow holds for `key`: 0 while nothing overflowed within the window. */
  private overflowCount(key: string, windowMs: number, now: number): number {
    if (this.overflow.size === 0) return 0;
    return this.sketchFor(windowMs, false)?.count(key, now) ?? 0;
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
    if (entry === undefined && this.overflow.size >= MAX_SKETCHES && this.sketchFor(windowMs, false) === null && !this.room(now)) {
      // Neither the table nor a sketch could count this key's failures (more window lengths
      // than sketches, all shorter): refused rather than let through uncounted, as `record` says.
      return limit;
    }
    return (entry?.hits.length ?? 0) + this.overflowCount(key, windowMs, now);
  }

  async record(key: string, windowMs: number, now: number, limit: number): Promise<number> {
    let entry = this.live(key, windowMs, now);
    if (entry === undefined) {
      if (!this.room(now)) {
        // No room in the exact table: the sketch counts it (only with too many window lengths
        // at once is there no sketch for it, and then it counts as at its limit).
        return this.sketchFor(windowMs, true)?.add(key, now) ?? limit;
      }
      entry = { hits: [], windowMs, limit };
    } else {
      this.hits.delete(key);
    }
    entry.hits.push(now);
    entry.windowMs = windowMs;
    entry.limit = limit;
    this.hits.set(key, entry);
    return entry.hits.length + this.overflowCount(key, windowMs, now);
  }

  async close(): Promise<void> {
    this.hits.clear();
    this.overflow.clear();
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
