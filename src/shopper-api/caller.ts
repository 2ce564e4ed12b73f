import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { touchSession, type Session } from '../domain/sessions.js';
import { allowedOriginsOf, getApiKey, getSite, type Site } from '../domain/sites.js';
import { validateAccessToken, type AccessTokenRow } from '../domain/tokens.js';
import { Forbidden, InvalidToken } from '../errors.js';
import { requireBearerToken } from '../http/bearer.js';
import { noteCorsSite } from '../http/cors.js';
import { param, type Params } from '../http/params.js';

/** Who calls the Shopper API, and what their token may do there. */

export interface Caller {
  token: AccessTokenRow;
  session: Session;
  site: Site;
  params: Params;
}

export const LOCALE = /^[a-z]{2}(_[A-Z]{2})?$/;
export const CURRENCY = /^[A-Z]{3}$/;

/** The caller's token and session; an `apiKey` of another site than the token's → 403. */
export async function authenticate(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, params: Params, check?: (site: Site) => void): Promise<Caller> {
  const raw = requireBearerToken(request, params);
  const { token, session: found } = await validateAccessToken(ctx, raw);
  const site = await getSite(ctx, found.site_id);
  if (site === null) {
    throw new InvalidToken('unknown');
  }
  noteCorsSite(request, site.id);
  // A refusal that depends on the site comes before anything is counted or touched.
  check?.(site);
  // Per-key request quota (429 beyond it): counted in memory, no I/O.
  request.server.budgets.chargeKey(reply, site, token.api_key);
  // API use counts as use of the session (the TTL rule's idle limit), as the browser's does.
  const session = await touchSession(ctx, site, found, request.ip);
  const keyName = param(params, 'client_id');
  if (keyName !== undefined) {
    const key = await getApiKey(ctx, keyName);
    if (key === null || key.site_id !== site.id) {
      throw new Forbidden('The token belongs to another site');
    }
  }
  return { token, session, site, params };
}

export function requireFull(caller: Caller): void {
  if (caller.token.kind !== 'full') {
    throw new Forbidden('This resource needs a full token (an authenticated shopper)');
  }
}

/**
 * A limited token never exercises a signed-in shopper's authority: on an authenticated session
 * (the site action or a session-token exchange hands browsers one) it reaches the cart, never the
 * shopper's profile or their ordering. On an anonymous session it keeps the guest's rights.
 */
export function isLimitedOnSignedIn(caller: Caller): boolean {
  return caller.token.kind !== 'full' && caller.session.shopper_id !== null;
}

export function requireShopperAuthority(caller: Caller): void {
  if (isLimitedOnSignedIn(caller)) {
    throw new Forbidden("A limited token cannot act for the signed-in shopper; this needs the app's full token");
  }
}

/**
 * A web-checkout POST moves the browser that sends it onto the token's session. For a site that
 * lists `allowedOrigins`, a browser POST from any other page (its `Origin` is present and not
 * listed; `null` from sandboxed frames, data: URLs and no-referrer pages included) is refused, so
 * no page elsewhere can move a shopper's browser onto the attacker's session. No `Origin` (a
 * server, an old browser's same-origin form) passes, as does `"*"` in the list.
 */
/**
 * A GET web-checkout is a top-level navigation, which carries no `Origin`, and it hands the browser
 * that follows it onto the token's session just as a POST does; the attacker picks the method. So
 * for a site that lists `allowedOrigins`, a navigation the browser marks as coming from another
 * site (`Sec-Fetch-Site: cross-site` or `same-site`) must name a listed page in its `Referer`;
 * otherwise 403. A typed URL or bookmark (`none`), a same-origin page, and callers that send no
 * `Sec-Fetch-Site` (servers, old browsers) pass.
 */
export function checkGetNavigation(request: FastifyRequest, site: Site): void {
  const allowed = allowedOriginsOf(site);
  if (allowed === null || allowed.includes('*')) return;
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== 'cross-site' && fetchSite !== 'same-site') return;
  let referer: string | null = null;
  try {
    referer = typeof request.headers.referer === 'string' ? new URL(request.headers.referer).origin : null;
  } catch {
    referer = null;
  }
  if (referer !== null && allowed.includes(referer)) return;
  throw new Forbidden('This page may not start a web checkout for this store');
}

/**
 * The POST twin of checkGetNavigation: for a site that lists `allowedOrigins`, a web-checkout POST
 * whose `Origin` is present and not listed (`null` included) is refused.
 */
export function checkPostOrigin(request: FastifyRequest, site: Site): void {
  const allowed = allowedOriginsOf(site);
  if (allowed === null || allowed.includes('*')) return;
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (typeof origin === 'string' && allowed.includes(origin)) return;
  throw new Forbidden('This page may not start a web checkout for this store');
}
