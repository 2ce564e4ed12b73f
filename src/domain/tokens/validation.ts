import type { RefreshTokenRow } from '../../store/rows.js';
import { InvalidToken } from '../../errors.js';
import type { Ctx } from '../context.js';
import { getSession, type Session } from '../sessions.js';
import { type AccessTokenRow, type ValidToken, accessHash, accessHashForLookup, refreshHash } from './hashing.js';

/**
 * Checks an access token. Throws InvalidToken with the reason the token died (the 401's description:
 * every 401 says why). One indexed join, no write.
 */
export async function validateAccessToken(ctx: Ctx, raw: string): Promise<ValidToken> {
  if (raw.length === 0 || raw.length > 512) {
    throw new InvalidToken('unknown');
  }
  // One indexed join, or the token cache's answer (src/store/cached.ts).
  const found = await ctx.store.tokens.findWithSession(accessHashForLookup(ctx, raw));
  if (found === null) {
    throw new InvalidToken('unknown');
  }
  const { token, session } = found;
  if (token.revoked_reason !== null) {
    throw new InvalidToken('revoked');
  }
  if (token.epoch !== session.epoch) {
    throw new InvalidToken('rekeyed');
  }
  if (session.expires_at <= ctx.now()) {
    throw new InvalidToken('expired');
  }
  return found;
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
  const row = await ctx.store.tokens.findRefresh(refreshHash(ctx, raw));
  if (row === null || row.revoked_reason !== null || row.spent_at !== null || row.expires_at <= now) return null;
  const session = await getSession(ctx.store, row.session_id);
  if (session !== null && session.epoch !== row.epoch) return null;
  if (session === null || session.expires_at <= now) {
    return row.shopper_id === null || row.kind !== 'full' ? null : { row, session: null };
  }
  return { row, session };
}

/** An access token's row in any state (live, expired, revoked, re-keyed), or null when unknown. */
export async function findAccessToken(ctx: Ctx, raw: string): Promise<AccessTokenRow | null> {
  if (raw.length === 0 || raw.length > 512) return null;
  return await ctx.store.tokens.findAccess(accessHash(ctx, raw));
}
