import { deriveHex, timePrefix, TIME_PREFIX_LENGTH } from '../../crypto.js';
import { InvalidGrant, TOKEN_REASONS } from '../../errors.js';
import type { Ctx } from '../context.js';
import { createSession, getSession, secondsLeft } from '../sessions.js';
import type { ApiKey, Site } from '../sites.js';
import { attachShopperCart } from '../carts.js';
import { type IssuedTokens, accessHash, refreshHash } from './hashing.js';
import { storePair } from './issue.js';

/**
 * The refresh grant. The new pair is derived from the spent token and the
 * server secret, so a replay within the grace window — or a racing parallel use, on any
 * process — computes the very same pair and the inserts collapse into one.
 */
export async function refreshTokens(ctx: Ctx, site: Site, key: ApiKey, raw: string, admit?: (sessionId: string) => void): Promise<IssuedTokens> {
  const now = ctx.now();
  const hash = refreshHash(ctx, raw);
  // Derived, so every replay computes the same pair; time-prefixed like any token (with the
  // spent token's time: the successor must not depend on when the replay arrives).
  const prefix = /^[0-9a-f]{12}/.test(raw) ? raw.slice(0, TIME_PREFIX_LENGTH) : timePrefix(0);
  const successor = {
    accessToken: prefix + deriveHex(ctx.secret, 'refresh-successor-access', raw),
    refreshToken: prefix + deriveHex(ctx.secret, 'refresh-successor-refresh', raw) + deriveHex(ctx.secret, 'refresh-successor-refresh-2', raw).slice(0, 32)
  };
  const outcome = await ctx.store.transaction(async (trx) => {
    const row = await trx.tokens.findRefresh(hash);
    if (row === null || row.site_id !== site.id) {
      throw new InvalidGrant('Unknown refresh token');
    }
    if (row.api_key !== key.key) {
      throw new InvalidGrant('The refresh token was issued to another client');
    }
    if (row.revoked_reason !== null) {
      throw new InvalidGrant(TOKEN_REASONS.revoked);
    }
    if (row.expires_at <= now) {
      throw new InvalidGrant('Refresh token expired');
    }
    if (row.spent_at !== null && now - row.spent_at > site.refresh_grace_seconds * 1000) {
      // Reuse detection: a spent token came back after its grace window. Someone holds a copy.
      await trx.tokens.revokeChain(row.chain_id);
      return { reused: true as const };
    }
    // The per-session refresh budget (after reuse detection, which must always fire): over it,
    // the transaction stores and spends nothing.
    admit?.(row.session_id);
    let session = await getSession(trx, row.session_id);
    if (session !== null && session.epoch !== row.epoch) {
      throw new InvalidGrant(TOKEN_REASONS.rekeyed);
    }
    if (session === null || session.expires_at <= now) {
      // Only a full token continues a signed-in shopper on a new session. A limited one, even
      // if it was issued on the shopper's session, never had the shopper's authority to renew.
      if (row.shopper_id === null || row.kind !== 'full') {
        throw new InvalidGrant(TOKEN_REASONS.expired);
      }
      // A registered/external shopper's session ended: continue on a new one.
      session = await createSession(ctx, trx, site, {
        shopperId: row.shopper_id,
        id: deriveHex(ctx.secret, 'refresh-successor-session', raw).slice(0, 32)
      });
      await attachShopperCart(ctx, trx, session, row.shopper_id);
    }
    const issued = await storePair(ctx, trx, site, key, session, row.kind, { ...successor, chainId: row.chain_id });
    await trx.tokens.spendRefresh(hash, now);
    return { reused: false as const, issued };
  });
  if (outcome.reused) {
    throw new InvalidGrant('Refresh token already used; every token of this session chain is revoked');
  }
  // The successor may have been revoked since (logout, reuse detection): a replay must not revive it.
  const check = await ctx.store.tokens.findAccess(accessHash(ctx, successor.accessToken));
  if (check === null || check.revoked_reason !== null) {
    throw new InvalidGrant(TOKEN_REASONS.revoked);
  }
  const session = check.session_id === outcome.issued.session.id ? outcome.issued.session : await getSession(ctx.store, check.session_id);
  if (session === null) {
    throw new InvalidGrant(TOKEN_REASONS.expired);
  }
  return { ...outcome.issued, session, expiresIn: secondsLeft(session, ctx.now()) };
}
