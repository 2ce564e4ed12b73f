import type { AccessTokenRow as StoredAccessToken } from '../../store/rows.js';
import { prefixedKey } from '../../crypto.js';
import type { Ctx } from '../context.js';
import type { Session } from '../sessions.js';

export type AccessTokenRow = StoredAccessToken;
export type TokenKind = 'limited' | 'full';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  session: Session;
  kind: TokenKind;
}

export interface ValidToken {
  token: AccessTokenRow;
  session: Session;
}

// Tokens are `timedSecret`s: 12 hex characters of issue time, then 256 (access) or 384
// (refresh) random bits; stored under `prefixedKey`, so a grant appends to the token indexes.
export function accessHash(ctx: Ctx, raw: string): string {
  return prefixedKey(ctx.secret, 'access_token', raw);
}

export function refreshHash(ctx: Ctx, raw: string): string {
  return prefixedKey(ctx.secret, 'refresh_token', raw);
}
