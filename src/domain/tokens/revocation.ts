import type { Ctx } from '../context.js';
import type { Executor } from '../sessions.js';
import { type AccessTokenRow, refreshHash } from './hashing.js';
import { emitSessionEnded } from '../events.js';

/** Revokes an access token and the refresh token issued with it; the session lives on. */
export async function revokeAccessToken(ctx: Ctx, token: AccessTokenRow): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', token.hash).execute();
    // Through the chain's index: refresh_tokens has none on access_hash (every grant would pay for it).
    await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
      .where('chain_id', '=', token.chain_id).where('access_hash', '=', token.hash).execute();
    await emitSessionEnded(ctx, trx, { id: token.session_id, site_id: token.site_id }, 'revoked');
  });
}

/** Revokes a refresh token by its raw value and the access token issued with it (RFC 7009). */
export async function revokeRefreshToken(ctx: Ctx, raw: string, apiKey: string): Promise<boolean> {
  return await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('refresh_tokens').select(['access_hash', 'api_key', 'session_id', 'site_id'])
      .where('hash', '=', refreshHash(ctx, raw)).executeTakeFirst();
    if (row === undefined || row.api_key !== apiKey) return false;
    await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', refreshHash(ctx, raw)).execute();
    await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', row.access_hash).execute();
    await emitSessionEnded(ctx, trx, { id: row.session_id, site_id: row.site_id }, 'revoked');
    return true;
  });
}

export async function revokeChain(db: Executor, chainId: string): Promise<void> {
  // Every access token of a chain was issued with a refresh token that names it.
  await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
    .where('hash', 'in', db.selectFrom('refresh_tokens').select('access_hash').where('chain_id', '=', chainId)).execute();
  await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('chain_id', '=', chainId).execute();
}

export interface RevokedCount {
  accessTokens: number;
  refreshTokens: number;
}

/**
 * Revokes every access and refresh token of a shopper on a site (the admin command): the tokens
 * on any of the shopper's sessions and every refresh token issued to the shopper. Validation
 * reads `revoked_reason` on each call, so the next use answers "Token revoked".
 */
export async function revokeShopperTokens(ctx: Ctx, siteId: string, shopperId: string): Promise<RevokedCount> {
  return await ctx.db.transaction().execute(async (trx) => {
    const sessions = trx.selectFrom('sessions').select('id').where('site_id', '=', siteId).where('shopper_id', '=', shopperId);
    const access = await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
      .where('session_id', 'in', sessions).where('revoked_reason', 'is', null).executeTakeFirst();
    const refresh = await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
      .where('site_id', '=', siteId)
      .where((eb) => eb.or([eb('shopper_id', '=', shopperId), eb('session_id', 'in', sessions)]))
      .where('revoked_reason', 'is', null).executeTakeFirst();
    return { accessTokens: Number(access.numUpdatedRows), refreshTokens: Number(refresh.numUpdatedRows) };
  });
}

/** Revokes every token issued to an API key (its deletion by the admin command). */
export async function revokeKeyTokens(db: Executor, apiKey: string): Promise<RevokedCount> {
  const access = await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  const refresh = await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  return { accessTokens: Number(access.numUpdatedRows), refreshTokens: Number(refresh.numUpdatedRows) };
}
