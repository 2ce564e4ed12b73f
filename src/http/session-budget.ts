import type { FastifyRequest } from 'fastify';
import { DEFAULT_SESSION_BUDGETS } from '../config.js';
import { hashSecret } from '../crypto.js';
import type { Ctx } from '../domain/context.js';
import { sessionTokenOf, type Session } from '../domain/sessions.js';
import { siteLimits, type Site } from '../domain/sites.js';
import { TooManyRequests } from '../errors.js';

export type SessionBudgetLimits = { -readonly [K in keyof typeof DEFAULT_SESSION_BUDGETS]: number };

export function sessionBudgetsOf(site: Site): SessionBudgetLimits {
  return siteLimits<SessionBudgetLimits>(site, DEFAULT_SESSION_BUDGETS);
}

/** Counts one hit on `key` or throws 429 (counted in the shared window counter of budgets.ts). */
function charge(request: FastifyRequest, key: string, limit: number, windowSeconds: number, now: number): void {
  const counter = request.server.budgets.counter;
  const windowMs = windowSeconds * 1000;
  const seen = counter.peek(key, limit, windowMs, now);
  if (!seen.ok) {
    throw new TooManyRequests(seen.state.retrySeconds, { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' });
  }
  counter.add(key, limit, windowMs, now);
}

/**
 * One join of the session a session token names (CONTRACT §1: a session token names one session
 * per epoch). Counted before the grant runs, so over budget nothing is stored; the counter key is
 * an HMAC of the token, never the token itself. Malformed tokens are left to the grant's
 * `invalid_grant`.
 */
export function chargeJoin(ctx: Ctx, request: FastifyRequest, site: Site, sessionToken: string): void {
  if (!/^[0-9A-Fa-f]{32}$/.test(sessionToken)) return;
  const limits = sessionBudgetsOf(site);
  const key = `session-join:${hashSecret(ctx.secret, 'session-budget', sessionToken.toUpperCase()).slice(0, 32)}`;
  charge(request, key, limits.joinsPerSession, limits.sessionWindowSeconds, ctx.now());
}

/** One join of a session the caller holds (the site action's cookie): the same counter as its session token's. */
export function chargeJoinOfSession(ctx: Ctx, request: FastifyRequest, site: Site, session: Pick<Session, 'id' | 'epoch'>): void {
  chargeJoin(ctx, request, site, sessionTokenOf(ctx, session));
}

/** One refresh on a session (called inside the refresh grant's transaction, before it writes). */
export function chargeRefresh(ctx: Ctx, request: FastifyRequest, site: Site, sessionId: string): void {
  const limits = sessionBudgetsOf(site);
  charge(request, `session-refresh:${sessionId}`, limits.refreshesPerSession, limits.sessionWindowSeconds, ctx.now());
}
