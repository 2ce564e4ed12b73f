import { siteLimits, type Site } from '../domain/sites.js';
import { TooManyRequests } from '../errors.js';
import type { Limiter } from './failures.js';
import { DEFAULT_GUESS_LIMITS, type GuessLimits } from '../config.js';
import { counterAddress } from '../http/client-ip.js';

export type { GuessLimits } from '../config.js';
/** The failure limits a site gets unless its seed `limits` say otherwise (src/config.ts). */
export const DEFAULT_LIMITS: GuessLimits = DEFAULT_GUESS_LIMITS;

export function limitsOf(site: Site | null): GuessLimits {
  return siteLimits(site, DEFAULT_LIMITS);
}

/**
 * A failure counter: its key and the count at which it refuses. With a third element, the name of
 * another counter in the same call, it refuses only a caller that has failures of its own on that
 * one (a key's lockout that spares the addresses that never failed on it); it always counts.
 */
export type GuardCounter = [key: string, limit: number] | [key: string, limit: number, onlyIfFailed: string];

/**
 * The failure counters of a shopper login, shared by the password grant and the hosted pages'
 * sign-in: per username and per client address (an IPv6 client per /64).
 */
export function loginCounters(site: Site, username: string, ip: string): Array<[string, number]> {
  const limits = limitsOf(site);
  return [
    [`login-user:${site.id}:${username.toLowerCase()}`, limits.loginFailuresPerUsername],
    [`login-ip:${counterAddress(ip)}`, limits.loginFailuresPerIP]
  ];
}

/**
 * Runs `attempt` unless one of the failure counters is already at its limit (429 with
 * Retry-After), and records a failure on every counter when `attempt` throws an error that
 * `isFailure` accepts (a wrong secret or password; never a lost race or an expired handle).
 */
export async function guarded<T>(limiter: Limiter, now: number, windowSeconds: number, counters: GuardCounter[], isFailure: (err: unknown) => boolean, attempt: () => Promise<T>): Promise<T> {
  const windowMs = windowSeconds * 1000;
  // All counters at once (with Redis, one round trip's wait instead of one per counter).
  const counts = await Promise.all(counters.map(async ([key, limit]) => await limiter.count(key, windowMs, now, limit)));
  const countOf = new Map(counters.map(([key], i) => [key, counts[i] as number]));
  counters.forEach(([, limit, onlyIfFailed], i) => {
    if (onlyIfFailed !== undefined && (countOf.get(onlyIfFailed) ?? 0) === 0) return;
    if ((counts[i] as number) >= limit) {
      throw new TooManyRequests(windowSeconds, { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' });
    }
  });
  try {
    return await attempt();
  } catch (err) {
    if (isFailure(err)) {
      for (const [key, limit] of counters) await limiter.record(key, windowMs, now, limit);
    }
    throw err;
  }
}
