import { DEFAULT_SESSION_BUDGETS } from '../config.js';
import { hashSecret } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import { sessionTokenOf, type Session } from '../domain/sessions.js';
import { siteLimits, type Site } from '../domain/sites.js';
import { TooManyRequests } from '../errors.js';
import { WindowCounter } from './window-counter.js';

export type SessionBudgetLimits = { -readonly [K in keyof typeof DEFAULT_SESSION_BUDGETS]: number };

export function sessionBudgetsOf(site: Site): SessionBudgetLimits {
  return siteLimits<SessionBudgetLimits>(site, DEFAULT_SESSION_BUDGETS);
}

/**
 * The counts live in this process only (a sliding two-window counter, as the guest budgets use,
 * bounded in memory the same way). Sharing them through Redis would cost a round trip per live
 * session every second; a per-process budget still bounds what one session can store: with N
 * processes behind a balancer, at most N times the budget.
 */
const counters = new WeakMap<object, WindowCounter>();

/** One counter per app context, shared by every route of the app (plugins included). */
function counterOf(ctx: Ctx): WindowCounter {
  let counter = counters.get(ctx);
  if (counter === undefined) {
    counter = new WindowCounter(ctx.now);
    counters.set(ctx, counter);
  }
  return counter;
}

/** Counts one hit on `key` or throws 429 with Retry-After. */
function charge(ctx: Ctx, key: string, limit: number, windowSeconds: number): void {
  const now = ctx.now();
  const counter = counterOf(ctx);
  const windowMs = windowSeconds * 1000;
  const seen = counter.peek(key, limit, windowMs, now);
  if (!seen.ok) {
    throw new TooManyRequests(seen.state.retrySeconds, { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' });
  }
  counter.add(key, limit, windowMs, now);
}

/**
 * One join of the session a session token names (a session token names one session
 * per epoch). Counted before the grant runs, so over budget nothing is stored; the counter key is
 * an HMAC of the token, never the token itself. Malformed tokens are left to the grant's
 * `invalid_grant`.
 */
export function chargeJoin(ctx: Ctx, site: Site, sessionToken: string): void {
  if (!/^[0-9A-Fa-f]{32}$/.test(sessionToken)) return;
  const limits = sessionBudgetsOf(site);
  const key = `session-join:${hashSecret(ctx.secret, 'session-budget', sessionToken.toUpperCase()).slice(0, 32)}`;
  charge(ctx, key, limits.joinsPerSession, limits.sessionWindowSeconds);
}

/** One join of a session the caller holds (the site action's cookie): the same counter as its session token's. */
export function chargeJoinOfSession(ctx: Ctx, site: Site, session: Pick<Session, 'id' | 'epoch'>): void {
  chargeJoin(ctx, site, sessionTokenOf(ctx, session));
}

/** One refresh on a session (called inside the refresh grant's transaction, before it writes). */
export function chargeRefresh(ctx: Ctx, site: Site, sessionId: string): void {
  const limits = sessionBudgetsOf(site);
  charge(ctx, `session-refresh:${sessionId}`, limits.refreshesPerSession, limits.sessionWindowSeconds);
}
