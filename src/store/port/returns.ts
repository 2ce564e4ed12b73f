import type { NewReturnCode, ReturnTarget } from '../return-codes.js';

export type { NewReturnCode, ReturnTarget } from '../return-codes.js';

/**
 * The way back to the storefront (migration 0006_return_codes): what a handoff and then the
 * browser's session remember, and the single-use return codes, stored only as hashes. Expired
 * rows go with the writes that add new ones. None of these touches a session or token row.
 */
export interface ReturnStore {
  /** Remembers a handoff's return URL and key until `expiresAt`. */
  rememberHandoff(hash: string, target: ReturnTarget, expiresAt: number, now: number): Promise<void>;
  /** Moves what a handoff remembered onto a session (the newest wins), atomically; null when it remembered none. */
  adoptHandoff(hash: string, sessionId: string, sessionExpiresAt: number, now: number): Promise<ReturnTarget | null>;
  /** What the session remembers, unexpired at `now`, or null. */
  ofSession(sessionId: string, now: number): Promise<ReturnTarget | null>;
  /** Stores a return code; the session's earlier unused codes and every expired one go, atomically. */
  insertCode(code: NewReturnCode, now: number): Promise<void>;
  /** Spends a code bound to this site, key and URL: of concurrent calls one answers its session id; else null, nothing changed. */
  spendCode(hash: string, siteId: string, target: ReturnTarget, now: number): Promise<string | null>;
}
