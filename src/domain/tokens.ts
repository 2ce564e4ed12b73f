/**
 * Access and refresh tokens, by concern: hashing and shared types (tokens/hashing.ts), issuing
 * pairs (tokens/issue.ts), validation and look-ups (tokens/validation.ts), revocation
 * (tokens/revocation.ts) and the refresh grant (tokens/refresh.ts). This file is their public face.
 */
export type { AccessTokenRow, IssuedTokens, TokenKind, ValidToken } from './tokens/hashing.js';
export { exchangeSessionTokenAtOnce, issueOnNewSession, issueOnSession, issueTokens } from './tokens/issue.js';
export { findAccessToken, keyOfAccessToken, liveRefreshToken, validateAccessToken, type LiveRefreshToken } from './tokens/validation.js';
export { revokeAccessToken, revokeRefreshToken, revokeShopperTokens, type RevokedCount } from './tokens/revocation.js';
export { refreshTokens } from './tokens/refresh.js';
