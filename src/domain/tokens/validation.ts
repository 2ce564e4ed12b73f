import type { RefreshTokenRow } from '../../store/rows.js';
import { InvalidToken } from '../../errors.js';
import type { Ctx } from '../context.js';
import { Prepared } from '../../store/prepared.js';
import { getSession, type Session } from '../sessions.js';
import { tokenCacheOf } from '../token-cache.js';
import { type AccessTokenRow, type TokenKind, type ValidToken, accessHash, refreshHash } from './hashing.js';

export const validateQuery = new Prepared<{ hash: string }, ValidationRow>((db, $) => db.selectFrom('access_tokens')
  .innerJoin('sessions', 'sessions.id', 'access_tokens.session_id')
  .selectAll('sessions')
  .select([
    'access_tokens.hash as t_hash', 'access_tokens.session_id as t_session_id', 'access_tokens.site_id as t_site_id',
    'access_tokens.api_key as t_api_key', 'access_tokens.kind as t_kind', 'access_tokens.epoch as t_epoch',
    'access_tokens.chain_id as t_chain_id', 'access_tokens.created_at as t_created_at',
    'access_tokens.revoked_reason as t_revoked_reason'
  ])
  .where('access_tokens.hash', '=', $('hash')));

export type ValidationRow = Session & {
  t_hash: string; t_session_id: string; t_site_id: string; t_api_key: string; t_kind: TokenKind; t_epoch: number;
  t_chain_id: string; t_created_at: number; t_revoked_reason: string | null;
};

/**
 * Checks an access token. Throws InvalidToken with the reason the token died (the 401's description:
 * every 401 says why). One indexed join, no write.
 */
export async function validateAccessToken(ctx: Ctx, raw: string): Promise<ValidToken> {
  if (raw.length === 0 || raw.length > 512) {
    throw new InvalidToken('unknown');
  }
  const cache = tokenCacheOf(ctx.db);
  let generation = 0;
  let key = '';
  if (cache !== null) {
    // Before the read: a write after this point makes what the read finds stale at once.
    generation = cache.generation();
    key = cache.key(raw);
    const hit = cache.get(key, generation);
    if (hit !== null) {
      // Nothing revoked, re-keyed or ended it since it was read; only the clock moved (and touches,
      // already applied). What it could have seen is committed before it is told.
      await cache.settled();
      if (hit.session.expires_at <= ctx.now()) {
        throw new InvalidToken('expired');
      }
      return hit;
    }
  }
  const row = await validateQuery.first(ctx.db, { hash: accessHash(ctx, raw) });
  if (row === undefined) {
    throw new InvalidToken('unknown');
  }
  const { t_hash, t_session_id, t_site_id, t_api_key, t_kind, t_epoch, t_chain_id, t_created_at, t_revoked_reason, ...session } = row;
  const token: AccessTokenRow = {
    hash: t_hash, session_id: t_session_id, site_id: t_site_id, api_key: t_api_key, kind: t_kind, epoch: t_epoch,
    chain_id: t_chain_id, created_at: t_created_at, revoked_reason: t_revoked_reason
  };
  if (token.revoked_reason !== null) {
    throw new InvalidToken('revoked');
  }
  if (token.epoch !== session.epoch) {
    throw new InvalidToken('rekeyed');
  }
  if (session.expires_at <= ctx.now()) {
    throw new InvalidToken('expired');
  }
  return cache === null ? { token, session } : cache.put(key, { token, session }, generation);
}

/** Looks up which API key a live access token belongs to (Bearer client authentication). */
export async function keyOfAccessToken(ctx: Ctx, raw: string): Promise<string | null> {
  try {
    const { token } = await validateAccessToken(ctx, raw);
    return token.api_key;
  } catch {
    return null;
  }
}

export interface LiveRefreshToken {
  row: RefreshTokenRow;
  /** The session the token still reaches; null when it ended (a shopper's token lives on). */
  session: Session | null;
}

/**
 * A refresh token that the refresh grant would still accept (RFC 7662 introspection), or null:
 * unknown, revoked, expired, spent, re-keyed, or a limited one whose session ended.
 */
export async function liveRefreshToken(ctx: Ctx, raw: string): Promise<LiveRefreshToken | null> {
  if (raw.length === 0 || raw.length > 512) return null;
  const now = ctx.now();
  const row = await ctx.db.selectFrom('refresh_tokens').selectAll().where('hash', '=', refreshHash(ctx, raw)).executeTakeFirst();
  if (row === undefined || row.revoked_reason !== null || row.spent_at !== null || row.expires_at <= now) return null;
  const session = await getSession(ctx.db, row.session_id);
  if (session !== null && session.epoch !== row.epoch) return null;
  if (session === null || session.expires_at <= now) {
    return row.shopper_id === null || row.kind !== 'full' ? null : { row, session: null };
  }
  return { row, session };
}

/** An access token's row in any state (live, expired, revoked, re-keyed), or null when unknown. */
export async function findAccessToken(ctx: Ctx, raw: string): Promise<AccessTokenRow | null> {
  if (raw.length === 0 || raw.length > 512) return null;
  return (await ctx.db.selectFrom('access_tokens').selectAll().where('hash', '=', accessHash(ctx, raw)).executeTakeFirst()) ?? null;
}
