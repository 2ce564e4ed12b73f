import type { SessionRow } from '../rows.js';

export type HandleKindValue = 'cookie' | 'session_token';
/** A handle's row joined to its session's. */
export type HandleSessionRow = SessionRow & { handle_epoch: number; handle_kind: HandleKindValue };
export type HandleRow = { hash: string; session_id: string; kind: HandleKindValue; epoch: number; created_at: number };
/** A touch: the session was used at `now`; its idle expiry moves to `expires_at`. */
export type SessionTouch = { id: string; now: number; expires_at: number; client_ip: string | null };

/**
 * Sessions and their bearer handles (cookie values, session tokens), stored only as hashes.
 * "Gone" means never stored or swept: every read answers null for it, never throws.
 */
export interface SessionStore {
  /**
   * Stores a new session. Answers false, and stores nothing, when a session with that id exists
   * (a derived id someone stored first); never overwrites. Only adds a row (harmless to caches).
   */
  insert(session: SessionRow): Promise<boolean>;
  /** The session as stored now, or null when gone. Never cached. */
  get(id: string): Promise<SessionRow | null>;
  /** Stores a handle; an existing hash is left as it is (only adds a row). */
  addHandle(handle: HandleRow): Promise<void>;
  /** Whether any handle (cookie or session token) reaches the session: a browser holds it. */
  heldByBrowser(sessionId: string): Promise<boolean>;
  /** Whether a handle with this hash is stored. */
  hasHandle(hash: string): Promise<boolean>;
  /** A handle joined to its session, or null when either is gone. Never cached. */
  findHandle(hash: string): Promise<HandleSessionRow | null>;
  /**
   * Records use of a live session: `last_used_at`, `expires_at`, `client_ip` move, and only if
   * the session has not expired at `now` (an ended session stays ended). `afterRun` hears whether
   * the row changed as soon as the write has run (before its commit, on SQLite synchronously), so
   * a cache can follow the touch instead of starting over. Answers whether the row changed.
   */
  touch(touch: SessionTouch, afterRun?: (changed: boolean) => void): Promise<boolean>;
  /**
   * Compare-and-set of the epoch at login: moves `epoch` from `fromEpoch` to `fromEpoch + 1` and
   * records the shopper and address. Of concurrent calls with one `fromEpoch` exactly one answers
   * true (on PostgreSQL the loser's UPDATE waits for the winner's commit, then matches nothing).
   * False when the epoch moved already or the session is gone.
   */
  rekey(id: string, fromEpoch: number, shopperId: string, clientIp: string | null): Promise<boolean>;
  /**
   * Ends a session at `now`, atomically: it expires then (if not already) and its unrevoked
   * refresh tokens are revoked. False (nothing written) when the session is gone.
   */
  end(id: string, now: number): Promise<boolean>;
  /**
   * Deletes, in one transaction, what can no longer matter: sessions expired before `cutoff` with
   * their handles, access tokens and anonymous unsubmitted carts; refresh tokens expired at `now`
   * (and those of the deleted sessions, except a signed-in shopper's live full ones); handoff
   * codes and counters expired at `now`. Answers the number of sessions deleted.
   */
  sweep(cutoff: number, now: number): Promise<number>;
  /** The recorded addresses as stored now (never cached), or null when gone. */
  address(id: string): Promise<{ client_ip: string | null; ip: string | null } | null>;
  /** The locale, currency and creating address of a session; nothing when it is gone. */
  saveSettings(id: string, settings: { locale: string; currency: string; ip: string | null }): Promise<void>;
  /** Sessions not expired at `now`. */
  countLive(now: number): Promise<number>;
  /**
   * A site's anonymous sessions not expired at `now`. May answer from the last committed state
   * (on a SQLite file it reads on a background thread), so it may miss writes not yet committed.
   */
  countLiveAnonymous(siteId: string, now: number): Promise<number>;
  /** The session's current cart id and epoch, or null when gone. */
  cartOf(id: string): Promise<{ cart_id: string; epoch: number } | null>;
  /** Points the session at `toCartId` only if it still points at `fromCartId` (compare-and-set). */
  moveCart(id: string, fromCartId: string, toCartId: string): Promise<boolean>;
}
