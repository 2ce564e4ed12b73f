import type { Redis } from 'ioredis';
import { DEFAULT_COUNTER_SETTINGS } from '../config.js';

/**
 * Request budgets on the hot path (guest floods, per-key quotas): O(1) and synchronous per request.
 *
 * Each key keeps two fixed windows and estimates the sliding window as
 * `previous × (share of the sliding window still inside it) + current`. The failure limiter
 * (failures.ts) logs every hit, which is exact but costs O(hits) per check; budgets counted in
 * thousands per minute cannot afford that.
 *
 * With Redis, counts stay local and a background task about once a second adds them to shared
 * per-window keys with INCRBY and reads back the cluster-wide totals. Every process therefore sees
 * the others' traffic with about a second's delay: a budget can be overrun cluster-wide by up to
 * one second of traffic, never by more.
 */
interface Bucket {
  windowMs: number;
  /** Index of the current fixed window (now / windowMs). */
  win: number;
  cur: number;
  prev: number;
  /** Hits of window `win` not yet added to Redis. */
  pending: number;
  lastUsed: number;
  /** The limit it was last checked against: a bucket at it is never evicted. */
  limit: number;
}

export interface WindowState {
  limit: number;
  remaining: number;
  /** Seconds until the current fixed window ends. */
  resetSeconds: number;
  /** Seconds until one more hit would fit again (for Retry-After). */
  retrySeconds: number;
}

export class WindowCounter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly redis: Redis | null;
  private readonly prefix: string;
  private timer: NodeJS.Timeout | null = null;
  private syncing = false;
  private readonly now: () => number;
  private readonly maxKeys: number;

  /** `redis`, when given, belongs to the caller (limits/counters.ts), which closes it. */
  constructor(now: () => number, redis: Redis | null = null, prefix = 'sessionlink:budget:', syncMs: number = DEFAULT_COUNTER_SETTINGS.budgetSyncMs, maxKeys: number = DEFAULT_COUNTER_SETTINGS.budgetKeys) {
    this.now = now;
    this.maxKeys = maxKeys;
    this.redis = redis;
    this.prefix = prefix;
    if (redis !== null) {
      this.timer = setInterval(() => { void this.sync(); }, syncMs);
      this.timer.unref();
    }
  }

  private bucket(key: string, windowMs: number, now: number, limit: number): Bucket {
    const win = Math.floor(now / windowMs);
    let b = this.buckets.get(key);
    if (b === undefined || b.windowMs !== windowMs) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      b = { windowMs, win, cur: 0, prev: 0, pending: 0, lastUsed: now, limit };
      this.buckets.set(key, b);
    } else if (b.win !== win) {
      // Unsynced hits of a window that just ended are dropped: at most a second of traffic.
      b.prev = b.win === win - 1 ? b.cur : 0;
      b.cur = 0;
      b.pending = 0;
      b.win = win;
    }
    b.lastUsed = now;
    b.limit = limit;
    return b;
  }

  /** The sliding estimate of `b` at `now`, without rolling it. */
  private usedAt(b: Bucket, now: number): number {
    const win = Math.floor(now / b.windowMs);
    if (b.win === win) return this.estimate(b, now);
    if (b.win === win - 1) return Math.floor(b.cur * (1 - (now - win * b.windowMs) / b.windowMs));
    return 0;
  }

  /**
   * Makes room under a flood of new keys: buckets with nothing left in their window go first,
   * then buckets under their limit, oldest first, down to half. A bucket at its limit is never
   * dropped, which would hand its owner a fresh budget; there cannot be many, since each one
   * took `limit` admitted requests (and guests also meet the per-site budget).
   */
  private evict(now: number): void {
    for (const [key, b] of this.buckets) {
      if (this.usedAt(b, now) === 0) this.buckets.delete(key);
    }
    for (const [key, b] of this.buckets) {
      if (this.buckets.size <= this.maxKeys / 2) break;
      if (this.usedAt(b, now) < b.limit) this.buckets.delete(key);
    }
  }

  private estimate(b: Bucket, now: number): number {
    const into = (now - b.win * b.windowMs) / b.windowMs;
    return Math.floor(b.prev * (1 - into)) + b.cur;
  }

  private state(b: Bucket, limit: number, now: number, used: number): WindowState {
    const left = (b.win + 1) * b.windowMs - now;
    return {
      limit,
      remaining: Math.max(0, limit - used),
      resetSeconds: Math.max(1, Math.ceil(left / 1000)),
      // +1 ms: the estimate must drop strictly below the limit.
      retrySeconds: Math.max(1, Math.ceil((this.waitMs(b, limit, now, left) + 1) / 1000))
    };
  }

  /** When the sliding estimate drops below `limit`: the previous window's weight fades linearly. */
  private waitMs(b: Bucket, limit: number, now: number, left: number): number {
    if (this.estimate(b, now) < limit) return 0;
    if (b.cur < limit) {
      // prev × (1 − f) < limit − cur  ⇔  f > 1 − (limit − cur) / prev
      const f = 1 - (limit - b.cur) / b.prev;
      return Math.max(0, f * b.windowMs - (now - b.win * b.windowMs));
    }
    // Next window: this window's count becomes the fading one.
    return left + (1 - limit / b.cur) * b.windowMs;
  }

  /** Whether one more hit fits under `limit`; counts nothing. */
  peek(key: string, limit: number, windowMs: number, now: number): { ok: boolean; state: WindowState } {
    const b = this.bucket(key, windowMs, now, limit);
    const used = this.estimate(b, now);
    return { ok: used < limit, state: this.state(b, limit, now, used) };
  }

  /**
   * peek then add in one pass (one bucket look-up): counts one hit if it fits under `limit`.
   * `ok` false: nothing counted, `state` as peek gives it.
   */
  take(key: string, limit: number, windowMs: number, now: number): { ok: boolean; state: WindowState } {
    const b = this.bucket(key, windowMs, now, limit);
    const used = this.estimate(b, now);
    if (used >= limit) return { ok: false, state: this.state(b, limit, now, used) };
    b.cur++;
    if (this.redis !== null) b.pending++;
    return { ok: true, state: this.state(b, limit, now, this.estimate(b, now)) };
  }

  /** Counts one hit and returns what is left. */
  add(key: string, limit: number, windowMs: number, now: number): WindowState {
    const b = this.bucket(key, windowMs, now, limit);
    b.cur++;
    if (this.redis !== null) b.pending++;
    return this.state(b, limit, now, this.estimate(b, now));
  }

  /** Adds local hits to Redis and takes back the cluster totals (background, about once a second). */
  async sync(now = this.now()): Promise<void> {
    if (this.redis === null || this.syncing) return;
    this.syncing = true;
    try {
      const entries: Array<[Bucket, number, boolean]> = [];
      const pipeline = this.redis.pipeline();
      for (const [key, b] of this.buckets) {
        if (now - b.lastUsed > 2 * b.windowMs) {
          this.buckets.delete(key);
          continue;
        }
        const rk = `${this.prefix}${key}:${b.windowMs}:${b.win}`;
        const sent = b.pending;
        b.pending = 0;
        if (sent > 0) {
          pipeline.incrby(rk, sent).pexpire(rk, 2 * b.windowMs + 5000);
        } else {
          pipeline.get(rk);
        }
        pipeline.get(`${this.prefix}${key}:${b.windowMs}:${b.win - 1}`);
        entries.push([b, b.win, sent > 0]);
      }
      if (entries.length === 0) return;
      const results = (await pipeline.exec()) ?? [];
      let i = 0;
      for (const [b, win, sentHits] of entries) {
        const total = Number(results[i]?.[1] ?? 0);
        i += sentHits ? 2 : 1;
        const prevTotal = Number(results[i]?.[1] ?? 0);
        i += 1;
        if (b.win !== win) continue;
        // Hits counted locally while the pipeline was in flight are still pending: keep them.
        if (Number.isFinite(total)) b.cur = Math.max(b.cur, total + b.pending);
        if (Number.isFinite(prevTotal)) b.prev = Math.max(b.prev, prevTotal);
      }
    } catch {
      // Redis away: keep counting locally; the next sync retries.
    } finally {
      this.syncing = false;
    }
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    // The last local counts reach Redis; the client itself is closed by its owner.
    if (this.redis !== null) await this.sync();
    this.buckets.clear();
  }
}
