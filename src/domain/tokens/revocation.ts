import type { Ctx } from '../context.js';
import type { RevokedCount } from '../../store/port.js';
import { type AccessTokenRow, refreshHash } from './hashing.js';
import { emitSessionEnded } from '../events.js';

export type { RevokedCount } from '../../store/port.js';

/** Revokes an access token and the refresh token issued with it; the session lives on. */
export async function revokeAccessToken(ctx: Ctx, token: AccessTokenRow): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    await tx.tokens.revokeAccess(token);
    await emitSessionEnded(ctx, tx, { id: token.session_id, site_id: token.site_id }, 'revoked');
  });
}

/** Revokes a refresh token by its raw value and the access token issued with it (RFC 7009). */
export async function revokeRefreshToken(ctx: Ctx, raw: string, apiKey: string): Promise<boolean> {
  const hash = refreshHash(ctx, raw);
  return await ctx.store.transaction(async (tx) => {
    const row = await tx.tokens.findRefresh(hash);
    if (row === null || row.api_key !== apiKey) return false;
    if (!await tx.tokens.revokeRefresh(hash, apiKey)) return false;
    await emitSessionEnded(ctx, tx, { id: row.session_id, site_id: row.site_id }, 'revoked');
    return true;
  });
}

/**
 * Revokes every access and refresh token of a shopper on a site (the admin command): the tokens
 * on any of the shopper's sessions and every refresh token issued to the shopper. Validation
 * reads `revoked_reason` on each call, so the next use answers "Token revoked".
 */
export async function revokeShopperTokens(ctx: Ctx, siteId: string, shopperId: string): Promise<RevokedCount> {
  return await ctx.store.tokens.revokeShopper(siteId, shopperId);
}
