import { siteLimits, type Site } from '../domain/sites.js';
import { ServiceError, TooManyRequests } from '../errors.js';
import type { Limiter } from './limiter.js';

/** Per-site limits (seed file `limits`), with defaults that stop guessing but not real users. */
export interface GuessLimits {
  windowSeconds: number;
  loginFailuresPerUsername: number;
  loginFailuresPerIP: number;
  clientAuthFailuresPerKey: number;
  clientAuthFailuresPerIP: number;
}

export const DEFAULT_LIMITS: GuessLimits = {
  windowSeconds: 900,
  loginFailuresPerUsername: 5,
  loginFailuresPerIP: 50,
  clientAuthFailuresPerKey: 20,
  clientAuthFailuresPerIP: 50
};

export function limitsOf(site: Site | null): GuessLimits {
  return siteLimits(site, DEFAULT_LIMITS);
}

/**
 * Runs `attempt` unless one of the failure counters is already at its limit (429 with
 * Retry-After), and records a failure on every counter when `attempt` fails with `failCode`.
 */
export async function guarded<T>(limiter: Limiter, now: number, windowSeconds: number, counters: Array<[string, number]>, failCode: string, attempt: () => Promise<T>): Promise<T> {
  const windowMs = windowSeconds * 1000;
  // All counters at once (with Redis, one round trip's wait instead of one per counter).
  const counts = await Promise.all(counters.map(async ([key]) => await limiter.count(key, windowMs, now)));
  counters.forEach(([, limit], i) => {
    if ((counts[i] as number) >= limit) {
      throw new TooManyRequests(windowSeconds, { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' });
    }
  });
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof ServiceError && err.code === failCode) {
      for (const [key] of counters) await limiter.record(key, windowMs, now);
    }
    throw err;
  }
}
