import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { countLiveAnonymousSessions } from '../domain/sessions.js';
import { siteLimits, type Site } from '../domain/sites.js';
import { TooManyRequests } from '../errors.js';
import { WindowCounter, type WindowState } from './window-counter.js';
import { counterAddress } from '../http/client-ip.js';
import { DEFAULT_BUDGETS, DEFAULT_COUNTER_SETTINGS, type BudgetLimits } from '../config.js';

export { DEFAULT_BUDGETS, type BudgetLimits } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    budgets: Budgets;
  }
}

/** The site's budgets (a map lookup per request once parsed). */
export function budgetsOf(site: Site): BudgetLimits {
  return siteLimits(site, DEFAULT_BUDGETS);
}

/**
 * Live anonymous sessions are counted per site from the database at most once every
 * LIVE_REFRESH_MS and incremented locally for each session this process creates in between. With
 * several processes each sees the others' new sessions only at its next refresh, so the cap is
 * approximate by at most the sessions the cluster creates in one refresh interval.
 *
 * The count is a range scan: ~190 ms for 900,000 anonymous sessions on SQLite. It runs on the
 * database's background thread there (PostgreSQL counts in its own process), so requests are not
 * held up, and the interval stretches to LIVE_COST_FACTOR times the last count's duration, keeping
 * the counting itself under 1 % of a core (~19 s between counts at that size).
 */
const LIVE_REFRESH_MS = DEFAULT_COUNTER_SETTINGS.liveRefreshMs;
const LIVE_COST_FACTOR = DEFAULT_COUNTER_SETTINGS.liveCostFactor;

interface LiveCount {
  count: number;
  at: number;
  interval: number;
  loading: Promise<void> | null;
}

function rateHeaders(state: WindowState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.resetSeconds)
  };
}

function over(state: WindowState): TooManyRequests {
  return new TooManyRequests(state.retrySeconds, rateHeaders({ ...state, remaining: 0 }));
}

export class Budgets {
  readonly counter: WindowCounter;
  private readonly ctx: Ctx;
  private readonly live = new Map<string, LiveCount>();

  constructor(ctx: Ctx, counter: WindowCounter) {
    this.ctx = ctx;
    this.counter = counter;
  }

  private async liveAnonymous(site: Site, now: number): Promise<LiveCount> {
    let entry = this.live.get(site.id);
    if (entry === undefined) {
      entry = { count: 0, at: -Infinity, interval: LIVE_REFRESH_MS, loading: null };
      this.live.set(site.id, entry);
    }
    if (now - entry.at >= entry.interval && entry.loading === null) {
      const target = entry;
      target.loading = (async () => {
        const started = performance.now();
        try {
          target.count = await countLiveAnonymousSessions(this.ctx, site.id, now);
          target.at = now;
          target.interval = Math.max(LIVE_REFRESH_MS, Math.ceil(LIVE_COST_FACTOR * (performance.now() - started)));
        } finally {
          target.loading = null;
        }
      })();
      // Only the request that found the count stale waits for it; the others use the last count.
      await target.loading;
    }
    return entry;
  }

  /**
   * Admits one new anonymous session for `site` from `ip`, or throws 429 (Retry-After,
   * X-RateLimit-*). Sets X-RateLimit-* of the per-IP budget on the reply.
   */
  async admitGuest(request: FastifyRequest, reply: FastifyReply, site: Site, options: { confidentialClient?: boolean } = {}): Promise<void> {
    const limits = budgetsOf(site);
    const now = this.ctx.now();
    const windowMs = limits.guestWindowSeconds * 1000;
    // An IPv6 client counts per /64 (client-ip.ts).
    const ipKey = `guest-ip:${site.id}:${counterAddress(request.ip)}`;
    const siteKey = `guest-site:${site.id}`;
    // A confidential app calls from its own servers: one address for all of its shoppers. It
    // proved its secret, so it gets the site's budget and cap, not one browser's.
    const perIP = options.confidentialClient !== true;
    const ip = perIP ? this.counter.peek(ipKey, limits.newSessionsPerIP, windowMs, now) : null;
    if (ip !== null && !ip.ok) throw over(ip.state);
    const whole = this.counter.peek(siteKey, limits.newSessionsPerSite, windowMs, now);
    if (!whole.ok) throw over(whole.state);
    const live = await this.liveAnonymous(site, now);
    if (live.count >= limits.liveAnonymousSessions) {
      const wait = Math.ceil(live.interval / 1000);
      throw new TooManyRequests(wait, rateHeaders({ limit: limits.liveAnonymousSessions, remaining: 0, resetSeconds: wait, retrySeconds: wait }));
    }
    live.count++;
    const siteState = this.counter.add(siteKey, limits.newSessionsPerSite, windowMs, now);
    reply.headers(rateHeaders(perIP ? this.counter.add(ipKey, limits.newSessionsPerIP, windowMs, now) : siteState));
  }

  /** One Shopper API request on `keyName` of `site`: synchronous, or throws 429. */
  chargeKey(reply: FastifyReply, site: Site, keyName: string): void {
    const limits = budgetsOf(site);
    const now = this.ctx.now();
    const windowMs = limits.apiWindowSeconds * 1000;
    const taken = this.counter.take(`api-key:${keyName}`, limits.apiRequestsPerKey, windowMs, now);
    if (!taken.ok) throw over(taken.state);
    const state = taken.state;
    // Three header calls, not an object Fastify walks: the same headers, no allocation.
    reply.header('x-ratelimit-limit', String(state.limit));
    reply.header('x-ratelimit-remaining', String(state.remaining));
    reply.header('x-ratelimit-reset', String(state.resetSeconds));
  }
}
