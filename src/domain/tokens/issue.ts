import { sortableId, timedSecret } from '../../crypto.js';
import type { Ctx } from '../context.js';
import type { PairRow, RefreshRow, Store } from '../../store/port.js';
import { createSession, handleKey, newSessionRow, resolvedOf, secondsLeft, type NewSessionOptions, type Resolved, type Session } from '../sessions.js';
import type { ApiKey, Site } from '../sites.js';
import { type TokenKind, type IssuedTokens, accessHash, refreshHash } from './hashing.js';

export interface PairOptions {
  chainId?: string;
  accessToken?: string;
  refreshToken?: string;
}


export interface Pair {
  accessToken: string;
  refreshToken: string;
  access: PairRow;
  refresh: RefreshRow;
}

export interface Secrets {
  accessToken: string;
  refreshToken: string;
  chainId: string;
  now: number;
}

/** The values of a new token pair, not yet bound to a session. */
export function newSecrets(ctx: Ctx, options: PairOptions = {}): Secrets {
  const now = ctx.now();
  // ≥ 256 random bits, lower-case hex.
  return {
    accessToken: options.accessToken ?? timedSecret(now, 32),
    refreshToken: options.refreshToken ?? timedSecret(now, 48),
    chainId: options.chainId ?? sortableId(now),
    now
  };
}

/** A new access + refresh token pair for a session and an API key, not yet stored. */
export function newPair(ctx: Ctx, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Pair {
  const { accessToken, refreshToken, chainId, now } = newSecrets(ctx, options);
  const aHash = accessHash(ctx, accessToken);
  const row = {
    session_id: session.id, site_id: site.id, api_key: key.key, kind, epoch: session.epoch, chain_id: chainId, created_at: now
  };
  return {
    accessToken,
    refreshToken,
    access: { ...row, hash: aHash },
    refresh: {
      ...row,
      hash: refreshHash(ctx, refreshToken),
      access_hash: aHash,
      shopper_id: session.shopper_id,
      expires_at: now + site.refresh_ttl_seconds * 1000
    }
  };
}

export function issued(pair: Pair, session: Session, kind: TokenKind): IssuedTokens {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: secondsLeft(session, pair.access.created_at), session, kind };
}

/** Stores an access + refresh token pair bound to one session and one API key. */
export async function storePair(ctx: Ctx, store: Store, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Promise<IssuedTokens> {
  const pair = newPair(ctx, site, key, session, kind, options);
  await store.tokens.writePair(pair);
  return issued(pair, session, kind);
}

export async function issueTokens(ctx: Ctx, store: Store, site: Site, key: ApiKey, session: Session, kind: TokenKind): Promise<IssuedTokens> {
  return await storePair(ctx, store, site, key, session, kind);
}

/** A token pair on a session the caller holds, committed. */
export async function issueOnSession(ctx: Ctx, site: Site, key: ApiKey, session: Session, kind: TokenKind): Promise<IssuedTokens> {
  const pair = newPair(ctx, site, key, session, kind);
  await ctx.store.tokens.writePairNow(pair);
  return issued(pair, session, kind);
}

/** A new session and a token pair on it, committed. */
export async function issueOnNewSession(ctx: Ctx, site: Site, key: ApiKey, options: NewSessionOptions, kind: TokenKind): Promise<IssuedTokens> {
  const session = newSessionRow(ctx, site, options);
  const pair = newPair(ctx, site, key, session, kind);
  if (await ctx.store.tokens.writeSessionAndPair(session, pair, options.id !== undefined)) {
    return issued(pair, session, kind);
  }
  // Nothing stored (a derived id, perhaps taken): createSession below settles whose session it is.
  return await ctx.store.transaction(async (tx) => {
    const session = await createSession(ctx, tx, site, options);
    return await issueTokens(ctx, tx, site, key, session, kind);
  });
}

/**
 * Resolves a session token and, when its session is live on `site`, stores a token pair on it,
 * in one statement where the store has one (PostgreSQL). `issued` is null when the session is not
 * live here; the whole answer is null where the store reads and writes separately (SQLite).
 */
export async function exchangeSessionTokenAtOnce(ctx: Ctx, site: Site, key: ApiKey, value: string, kind: TokenKind): Promise<{ resolved: Resolved | null; issued: IssuedTokens | null } | null> {
  if (!ctx.store.tokens.exchangesAtOnce) return null;
  const secrets = newSecrets(ctx);
  const aHash = accessHash(ctx, secrets.accessToken);
  const row = await ctx.store.tokens.exchangeHandle({
    handle_hash: handleKey(ctx, 'session_token', value), handle_kind: 'session_token', site_id: site.id, now: secrets.now,
    a_hash: aHash, r_hash: refreshHash(ctx, secrets.refreshToken), api_key: key.key, kind, chain_id: secrets.chainId,
    r_expires_at: secrets.now + site.refresh_ttl_seconds * 1000
  });
  const resolved = resolvedOf('session_token', row, secrets.now);
  if (resolved?.status !== 'live' || resolved.session.site_id !== site.id) return { resolved, issued: null };
  const session = resolved.session;
  return {
    resolved,
    issued: { accessToken: secrets.accessToken, refreshToken: secrets.refreshToken, expiresIn: secondsLeft(session, secrets.now), session, kind }
  };
}
