import type { CartStore, CatalogueStore, OrderStore } from './port/commerce.js';
import type { ShopperStore, SiteStore } from './port/accounts.js';
import type { HandoffStore, SeedStore } from './port/setup.js';
import type { SessionStore } from './port/sessions.js';
import type { TokenStore } from './port/tokens.js';
import type { WebhookStore } from './port/webhooks.js';
import type { ReturnStore } from './port/returns.js';

export type * from './port/commerce.js';
export type * from './port/accounts.js';
export type * from './port/setup.js';
export type * from './port/sessions.js';
export type * from './port/tokens.js';
export type * from './port/webhooks.js';
export type * from './port/returns.js';

/**
 * The storage port: everything the domain stores or reads, by area. Nothing outside src/store/
 * sees SQL, a driver or a dialect. Implementations: src/store/sqlite/ and src/store/postgres/
 * (sharing src/store/kysely/); src/store/cached.ts wraps one with the token cache.
 *
 * What every implementation guarantees (the adapter contract, as node-oidc-provider writes its own):
 * - A read answers null (or an empty list) for a row that is gone; it never throws for that.
 * - Each method is atomic on its own: it is all written or none is (methods documented as
 *   "atomically" span several rows). Inside transaction() every method joins the transaction.
 * - A write method that resolves is committed (outside a transaction) or will be with its
 *   transaction; on SQLite an answer never shows data that is not yet committed.
 * - Nothing is cached by the store itself, except where a method says so; the token cache is
 *   a wrapper (src/store/cached.ts) that learns about changes only from these methods.
 * - Secrets arrive hashed; the store never sees a raw token, cookie, code or password.
 */
export interface Store {
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly carts: CartStore;
  readonly orders: OrderStore;
  readonly catalogue: CatalogueStore;
  readonly shoppers: ShopperStore;
  readonly sites: SiteStore;
  readonly handoffs: HandoffStore;
  readonly seed: SeedStore;
  readonly webhooks: WebhookStore;
  readonly returns: ReturnStore;
  /**
   * Runs `fn` in one transaction: `tx` is this store bound to it (its methods run in the
   * transaction). Commits when `fn` resolves, rolls back (and rethrows) when it throws. Not
   * nestable: inside, call tx's methods, not this store's (that would wait for the transaction).
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** True when the database answers a trivial query (readiness); never throws. */
  ready(): Promise<boolean>;
  /**
   * Where the store can tell that another process may have changed rows: a number that moves
   * whenever rows may have changed other than through this store's own methods (another
   * connection committed; a commit or group failed). null where it cannot tell (then nothing may
   * cache rows across calls). See src/store/cached.ts.
   */
  readonly changes: ChangeSource | null;
  /** Finishes what is in flight and closes the database. */
  close(): Promise<void>;
}

/** See Store.changes. */
export interface ChangeSource {
  /** Moves when rows may have changed by another route than this store's methods; cheap enough to ask on every call. */
  generation(): number;
  /** Resolves once nothing written through this store but not yet committed can be read; null when nothing is pending. */
  settled(): Promise<void> | null;
}
