import { createHash, hash } from 'node:crypto';
import type { DB } from '../store/open.js';
import { fastPathOf, type FastPath } from '../store/sqlite/driver.js';
import type { AccessTokenRow, SessionRow } from '../store/rows.js';

// Row types straight from the storage rows, so this module imports nothing of the domain that
// uses it (sessions and tokens import the cache; it must not import them back).
type Session = SessionRow;
/** A validated access token with its session (tokens.ts's ValidToken). */
interface ValidToken { token: AccessTokenRow; session: Session }

/** How many tokens (and sessions) one process keeps validated; the oldest go first. */
const MAX_ENTRIES = 10_000;

interface Stamped<T> { value: T; generation: number }

// Node ≥ 20.12 has the one-shot `crypto.hash`; earlier 20.x the classic way.
const sha256: (value: string) => string = typeof hash === 'function'
  ? (value) => hash('sha256', value, 'base64url')
  : (value) => createHash('sha256').update(value).digest('base64url');

/**
 * Access tokens validated lately, with their sessions, so a busy client's next call skips the
 * HMAC and the database read. Exact, not eventually right: every entry carries the database
 * generation it was read at, and is used only while that generation is still current, which is
 * asked of SQLite on every call. The generation (FastPath.generation()) moves, before the
 * statement runs, on every write statement of this process (SQLite says whether a statement
 * writes; nothing is guessed from SQL text), on a rolled-back write, and on a commit by any other
 * connection to the file (`PRAGMA data_version`: the admin CLI, another server process). Two kinds
 * of write leave it alone, each declared by the code that writes: an INSERT marked `insertsOnly`
 * (new rows, or nothing on a conflict: no row read before can differ), and a touch, which tells
 * this cache what it changed (touched()). A write nobody declared therefore always invalidates:
 * a new UPDATE, however written, can cost a cache miss but never a stale answer.
 * Only the SQLite dialect has a generation; on PostgreSQL, where other machines write, every call
 * reads the database.
 * Keys are SHA-256 of the raw token, so the raw value is not kept in memory.
 */
export class TokenCache {
  readonly #fast: FastPath;
  readonly #tokens = new Map<string, Stamped<AccessTokenRow>>();
  readonly #sessions = new Map<string, Stamped<Session>>();
  /**
   * The latest touch of each session at the current generation, recorded the moment its UPDATE
   * runs (touches do not move the generation). Touches only move `last_used_at` (and with it the
   * idle expiry) forward, so a session read before a touch, or a cached one, is brought up to it
   * wherever it comes from: a slow read stored after the touch cannot bring an older expiry back.
   */
  readonly #touches = new Map<string, Stamped<{ lastUsedAt: number; expiresAt: number }>>();

  constructor(fast: FastPath) {
    this.#fast = fast;
  }

  key(raw: string): string {
    return sha256(raw);
  }

  /** The current generation (asks SQLite whether another connection committed). */
  generation(): number {
    return this.#fast.generation();
  }

  /** A token and session read at `generation` and valid then, if still current. */
  get(key: string, generation: number): ValidToken | null {
    const token = this.#tokens.get(key);
    if (token === undefined || token.generation !== generation) return null;
    const session = this.#sessions.get(token.value.session_id);
    if (session === undefined || session.generation !== generation) return null;
    return { token: token.value, session: this.#touched(session.value, generation) };
  }

  /** Resolves once nothing this process has written but not committed can be seen. */
  async settled(): Promise<void> {
    const pending = this.#fast.pendingCommit();
    if (pending !== null) await pending;
  }

  /** Keeps a valid token read at `generation` (taken before the read); answers it brought up to date. */
  put(key: string, valid: ValidToken, generation: number): ValidToken {
    const session = this.#touched(valid.session, generation);
    set(this.#tokens, key, { value: valid.token, generation });
    set(this.#sessions, session.id, { value: session, generation });
    return { token: valid.token, session };
  }

  /** A touch (written with `keepsCaches`) just moved a session's idle expiry. */
  touched(sessionId: string, lastUsedAt: number, expiresAt: number): void {
    const generation = this.#fast.generation(false);
    const previous = this.#touches.get(sessionId);
    if (previous !== undefined && previous.generation === generation && previous.value.lastUsedAt >= lastUsedAt) return;
    this.#touches.delete(sessionId);
    if (this.#touches.size >= MAX_ENTRIES) {
      // A touch forgotten must take its session's entry with it, or that entry could be older.
      const oldest = this.#touches.keys().next().value as string;
      this.#touches.delete(oldest);
      this.#sessions.delete(oldest);
    }
    this.#touches.set(sessionId, { value: { lastUsedAt, expiresAt }, generation });
  }

  #touched(session: Session, generation: number): Session {
    const touch = this.#touches.get(session.id);
    if (touch === undefined || touch.generation !== generation || touch.value.lastUsedAt <= session.last_used_at) return session;
    return { ...session, last_used_at: touch.value.lastUsedAt, expires_at: touch.value.expiresAt };
  }
}

function set<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

const caches = new WeakMap<FastPath, TokenCache>();

/** The cache of `db`'s SQLite connection; null on PostgreSQL. */
export function tokenCacheOf(db: DB): TokenCache | null {
  const fast = fastPathOf(db);
  if (fast === null) return null;
  let cache = caches.get(fast);
  if (cache === undefined) {
    cache = new TokenCache(fast);
    caches.set(fast, cache);
  }
  return cache;
}
