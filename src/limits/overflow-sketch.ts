import * as crypto from 'node:crypto';

/** Rows of the sketch: a client is over-counted only if it collides in every one. */
const DEPTH = 4;
/** Cells per row by default (see docs/security.md for what an attacker needs to fill it). */
export const DEFAULT_SKETCH_WIDTH = 2 ** 18;
/** A count this high reads as "beyond any limit" (cells saturate rather than wrap). */
const SATURATED = 0xffff;

/**
 * The failure limiter's overflow (failures.ts): a count-min sketch of failures for the keys the
 * exact table has no room for, in fixed memory (DEPTH × width × 2 cells of 16 bits: 4 MiB at the
 * default width of 2^18).
 *
 * A key's count is the smallest of its DEPTH cells, and every failure of the key is in each of
 * them, so the count is never below the key's true count: a guesser whose failures land here gains
 * nothing. It is above it only by what other keys put in the same cell of every row. The rows are
 * chosen by a hash keyed with a secret made at start-up, so nobody can pick names that collide with
 * someone else's cells on purpose.
 *
 * Time is two fixed windows of `windowMs`, the current and the one before, and a count adds both:
 * it covers at least the last `windowMs` (never less), at most twice that (a failure counts a
 * little longer here than in the exact table).
 */
export class OverflowSketch {
  readonly windowMs: number;
  private readonly width: number;
  private readonly hashPrefix = crypto.randomBytes(32).toString('hex');
  private current: Uint16Array;
  private previous: Uint16Array;
  /** The fixed window `current` counts: floor(now / windowMs). */
  private epoch = -Infinity;
  /** The last window anything was added in: an older sketch is empty and needs no hashing. */
  private lastAdded = -Infinity;

  /** `width` is rounded up to a power of two. */
  constructor(windowMs: number, width: number) {
    this.windowMs = windowMs;
    this.width = 2 ** Math.max(4, Math.ceil(Math.log2(width)));
    this.current = new Uint16Array(DEPTH * this.width);
    this.previous = new Uint16Array(DEPTH * this.width);
  }

  /** Whether it may hold a failure still within the window at `now`. */
  active(now: number): boolean {
    return Math.floor(now / this.windowMs) <= this.lastAdded + 1;
  }

  private cells(key: string): number[] {
    // A keyed hash (secret prefix; the one-shot hash where Node has it, an HMAC before Node 20.12).
    const digest = typeof crypto.hash === 'function' ? crypto.hash('sha256', this.hashPrefix + key, 'buffer') : crypto.createHmac('sha256', this.hashPrefix).update(key).digest();
    const mask = this.width - 1;
    return Array.from({ length: DEPTH }, (_, row) => row * this.width + (digest.readUInt32LE(row * 4) & mask));
  }

  private roll(now: number): void {
    const epoch = Math.floor(now / this.windowMs);
    if (epoch <= this.epoch) return;
    if (epoch === this.epoch + 1) {
      const emptied = this.previous;
      this.previous = this.current;
      this.current = emptied.fill(0);
    } else {
      this.current.fill(0);
      this.previous.fill(0);
    }
    this.epoch = epoch;
  }

  /** Failures of `key` within the window (an over-estimate); `Infinity` once a cell saturated. */
  count(key: string, now: number): number {
    if (!this.active(now)) return 0;
    this.roll(now);
    let least = Infinity;
    for (const cell of this.cells(key)) {
      const sum = (this.current[cell] as number) + (this.previous[cell] as number);
      least = Math.min(least, sum >= SATURATED ? Infinity : sum);
    }
    return least;
  }

  /** Adds one failure of `key`; returns its new count, as `count` would. */
  add(key: string, now: number): number {
    this.roll(now);
    this.lastAdded = this.epoch;
    let least = Infinity;
    for (const cell of this.cells(key)) {
      const value = Math.min(SATURATED, (this.current[cell] as number) + 1);
      this.current[cell] = value;
      const sum = value + (this.previous[cell] as number);
      least = Math.min(least, sum >= SATURATED ? Infinity : sum);
    }
    return least;
  }
}
