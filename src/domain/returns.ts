import { hashSecret, randomHex } from '../crypto.js';
import { InvalidGrant, InvalidRequest, printable } from '../errors.js';
import type { Ctx } from './context.js';
import { HANDOFF_TTL_MS } from './handoffs.js';
import { RETURN_URL_MAX, RETURN_URL_PATTERN } from './seed-schema.js';
import { getSession, type Session } from './sessions.js';
import { allowedOriginsOf, type ApiKey, type Site } from './sites.js';
import { issueTokens, type IssuedTokens } from './tokens.js';

/**
 * The way back to the storefront. A web checkout may name a return URL (the site's `returnUrl`,
 * or a URL on one of its `allowedOrigins`); the handoff remembers it with the API key that asked,
 * and the browser's session remembers it once the handoff is used. After an order the hosted
 * pages send the shopper to `{returnUrl}?order=…&code=…`, and that key's server redeems the code
 * as an OAuth authorization code (`grant_type=authorization_code`) for a token pair on the
 * shopper's current session. A return code is a handoff code in the other direction: single
 * use, 60 seconds, stored hashed, bound to the key and the return URL.
 */
export const RETURN_CODE_TTL_MS = 60_000;
const RETURN_CODE = /^[0-9a-f]{64}$/;
const URL_SHAPE = new RegExp(RETURN_URL_PATTERN);

/** Where the hosted pages link back to, and the key a return code would be bound to (null: no code). */
export interface ReturnTarget {
  returnUrl: string;
  apiKey: string | null;
}

/** Why `url` cannot be a return URL, or null when it can (the seed file's rule, and the web checkout's). */
export function returnUrlProblem(url: string): string | null {
  if (url.length > RETURN_URL_MAX) return `must be at most ${RETURN_URL_MAX} characters`;
  if (!URL_SHAPE.test(url) || /[\x00-\x1f\x7f]/.test(url)) {
    return 'must be an absolute https URL (http only on localhost, 127.x.x.x or [::1]) without user name, password or #fragment';
  }
  try {
    new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  return null;
}

/**
 * The web checkout's `returnUrl`: the site's own `returnUrl`, or a URL whose origin is one of the
 * site's `allowedOrigins`; anything else is 400 invalid_request (never an open redirect).
 */
export function checkReturnUrl(site: Site, url: string): void {
  const problem = returnUrlProblem(url);
  if (problem !== null) throw new InvalidRequest(`returnUrl ${problem}; got "${printable(url)}"`);
  if (url === site.return_url) return;
  const origins = allowedOriginsOf(site) ?? [];
  if (origins.includes(new URL(url).origin)) return;
  const allowed = [...(site.return_url === null ? [] : [site.return_url]), ...origins.map((o) => `${o}/…`)];
  throw new InvalidRequest(allowed.length === 0
    ? `returnUrl "${printable(url)}" is not allowed: this site declares no returnUrl or allowedOrigins, so leave returnUrl out`
    : `returnUrl "${printable(url)}" is not allowed: use the site's returnUrl or a URL on one of its allowedOrigins (${allowed.join(', ').slice(0, 300)})`);
}

/** Remembers a new handoff code's return URL and the key that asked, for as long as the code lives. */
export async function rememberHandoffReturn(ctx: Ctx, handoffCode: string, returnUrl: string, apiKey: string): Promise<void> {
  const now = ctx.now();
  await ctx.store.returns.rememberHandoff(hashSecret(ctx.secret, 'handoff-return', handoffCode), { apiKey, returnUrl }, now + HANDOFF_TTL_MS, now);
}

/** A used handoff code seated a browser on `session`: the session now remembers what the handoff did. */
export async function adoptHandoffReturnOf(ctx: Ctx, site: Site, handoffCode: string, session: Session): Promise<void> {
  const now = ctx.now();
  // As long as the session can live at most: idle expiry moves, the absolute one does not.
  const until = session.created_at + site.ttl_seconds * 1000;
  await ctx.store.returns.adoptHandoff(hashSecret(ctx.secret, 'handoff-return', handoffCode), session.id, until, now);
}

/** Where this session's way back goes: what its handoff remembered, else the site's `returnUrl` (no key), else null. */
export async function returnTargetOf(ctx: Ctx, site: Site, session: Session): Promise<ReturnTarget | null> {
  const remembered = await ctx.store.returns.ofSession(session.id, ctx.now());
  if (remembered !== null) return remembered;
  return site.return_url === null ? null : { returnUrl: site.return_url, apiKey: null };
}

/** `{returnUrl}?order=…&code=…` (`&` when the URL already has a query); no code when none was made. */
export function returnLink(returnUrl: string, orderId: string, code: string | null): string {
  const query = `order=${encodeURIComponent(orderId)}${code === null ? '' : `&code=${code}`}`;
  return `${returnUrl}${returnUrl.includes('?') ? '&' : '?'}${query}`;
}

/**
 * The link back after the order `orderId`: with a new return code when a key is known (the
 * session's earlier unused code stops working: one link works at a time).
 */
export async function returnLinkAfterOrder(ctx: Ctx, session: Session, orderId: string, target: ReturnTarget): Promise<string> {
  if (target.apiKey === null) return returnLink(target.returnUrl, orderId, null);
  const code = randomHex(32);
  const now = ctx.now();
  await ctx.store.returns.insertCode({
    hash: hashSecret(ctx.secret, 'return-code', code), sessionId: session.id, siteId: session.site_id,
    apiKey: target.apiKey, returnUrl: target.returnUrl, orderId, expiresAt: now + RETURN_CODE_TTL_MS
  }, now);
  return returnLink(target.returnUrl, orderId, code);
}

export const BAD_RETURN_CODE = 'The code is unknown, used or expired, or was issued to another client or redirect_uri';

/**
 * `grant_type=authorization_code`: spends the code when the key and `redirect_uri` are the ones it
 * was issued to, and issues a pair on the session as it is now: full when the shopper is signed
 * in, limited otherwise. Spending and issuing are one transaction: a refusal changes nothing.
 */
export async function redeemReturnCode(ctx: Ctx, site: Site, key: ApiKey, code: string, redirectUri: string): Promise<IssuedTokens> {
  if (!RETURN_CODE.test(code)) throw new InvalidGrant(BAD_RETURN_CODE);
  const hash = hashSecret(ctx.secret, 'return-code', code);
  const now = ctx.now();
  return await ctx.store.transaction(async (trx) => {
    const sessionId = await trx.returns.spendCode(hash, site.id, { apiKey: key.key, returnUrl: redirectUri }, now);
    if (sessionId === null) throw new InvalidGrant(BAD_RETURN_CODE);
    const session = await getSession(trx, sessionId);
    if (session === null || session.site_id !== site.id || session.expires_at <= now) {
      throw new InvalidGrant('The shopper\'s session has ended');
    }
    return await issueTokens(ctx, trx, site, key, session, session.shopper_id === null ? 'limited' : 'full');
  });
}
