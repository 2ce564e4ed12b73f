import type { AccessTokenRow as StoredAccessToken } from '../../store/rows.js';
import { createHash, hash } from 'node:crypto';
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

// Node ≥ 20.12 has the one-shot `crypto.hash`; earlier 20.x the classic way.
const sha256: (value: string) => string = typeof hash === 'function'
  ? (value) => hash('sha256', value, 'base64url')
  : (value) => createHash('sha256').update(value).digest('base64url');

/** How many access-token hashes one process remembers per server secret. */
const MEMO_ENTRIES = 10_000;
const memos = new Map<string, Map<string, string>>();

/**
 * accessHash() for validation, remembered: a busy client presents the same token on every call,
 * and a SHA-256 and a map lookup cost less than the HMAC. Keyed by the SHA-256 of the raw token,
 * so no raw value is kept in memory; the HMAC is a function of the token, so nothing goes stale.
 */
export function accessHashForLookup(ctx: Ctx, raw: string): string {
  let memo = memos.get(ctx.secret);
  if (memo === undefined) {
    memo = new Map();
    memos.set(ctx.secret, memo);
  }
  const key = sha256(raw);
  let stored = memo.get(key);
  if (stored === undefined) {
    stored = accessHash(ctx, raw);
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    memo.set(key, stored);
  }
  return stored;
}
