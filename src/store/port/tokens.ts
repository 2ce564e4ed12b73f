import type { AccessTokenRow, RefreshTokenRow, SessionRow } from '../rows.js';
import type { HandleKindValue, HandleSessionRow } from './sessions.js';

export type TokenKindValue = 'limited' | 'full';
export type PairRow = { hash: string; session_id: string; site_id: string; api_key: string; kind: TokenKindValue; epoch: number; chain_id: string; created_at: number };
export type RefreshRow = PairRow & { access_hash: string; shopper_id: string | null; expires_at: number };
/** The rows of an access + refresh token pair. */
export interface PairRows { access: PairRow; refresh: RefreshRow }
/** An access token with its session, as validation reads them. */
export interface TokenWithSession { token: AccessTokenRow; session: SessionRow }

export type ExchangeParams = {
  handle_hash: string; handle_kind: HandleKindValue; site_id: string; now: number;
  a_hash: string; r_hash: string; api_key: string; kind: TokenKindValue; chain_id: string; r_expires_at: number;
};

export interface RevokedCount {
  accessTokens: number;
  refreshTokens: number;
}

/**
 * Access and refresh tokens, stored only as hashes. The grants' writes are single methods so each
 * dialect does them its fastest way. Every insert here only adds rows: an existing hash is left as
 * it is (racing refreshes derive the same pair, so the second insert is a no-op), which makes them
 * harmless to a token cache.
 */
export interface TokenStore {
  /** Stores a pair, all or none; inside the transaction when this store is one. */
  writePair(pair: PairRows): Promise<void>;
  /** Stores a pair on a session the caller holds, all or none, committed when it resolves. */
  writePairNow(pair: PairRows): Promise<void>;
  /**
   * Stores a new session and a pair on it, all or none, committed. False when nothing was stored:
   * the session id was taken, or `idMayBeTaken` where the store cannot settle that in one write
   * (SQLite; the caller then settles whose session it is in a transaction).
   */
  writeSessionAndPair(session: SessionRow, pair: PairRows, idMayBeTaken: boolean): Promise<boolean>;
  /** Whether exchangeHandle() is one statement here (PostgreSQL). */
  readonly exchangesAtOnce: boolean;
  /**
   * Only where `exchangesAtOnce`: resolves a handle and, when its session is live on the site (same
   * kind, same epoch, not expired at `now`), stores the pair on it, in one statement. Answers the
   * handle joined to its session as found (null when unknown), whether or not the pair was stored.
   */
  exchangeHandle(params: ExchangeParams): Promise<HandleSessionRow | null>;
  /**
   * The access token with its session (one indexed join), or null when either is gone. Revoked,
   * re-keyed and expired ones are answered too: judging them is the caller's. The one read a
   * token cache may answer (see src/store/cached.ts).
   */
  findWithSession(hash: string): Promise<TokenWithSession | null>;
  /** An access token's row in any state, or null when gone. Never cached. */
  findAccess(hash: string): Promise<AccessTokenRow | null>;
  /** A refresh token's row in any state, or null when gone. Never cached. */
  findRefresh(hash: string): Promise<RefreshTokenRow | null>;
  /** Marks a refresh token spent at `now`, only if it is not spent yet. */
  spendRefresh(hash: string, now: number): Promise<void>;
  /** Revokes an access token and the refresh token issued with it, atomically. */
  revokeAccess(token: { hash: string; chain_id: string }): Promise<void>;
  /** Revokes a refresh token issued to `apiKey` and its access token, atomically; false when unknown or another key's. */
  revokeRefresh(hash: string, apiKey: string): Promise<boolean>;
  /** Revokes every access and refresh token of a chain (reuse detection). */
  revokeChain(chainId: string): Promise<void>;
  /** Revokes, atomically, every token on a shopper's sessions of a site and every refresh token issued to the shopper. */
  revokeShopper(siteId: string, shopperId: string): Promise<RevokedCount>;
}
