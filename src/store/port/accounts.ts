import type { ApiKeyRow, NewApiKeyRow, NewShopperRow, NewSiteRow, ProductRow, SessionRow, ShopperRow, SiteRow } from '../rows.js';
import type { RevokedCount } from './tokens.js';

export type ShopperProfileRow = Pick<ShopperRow, 'username' | 'external_ref' | 'first_name' | 'last_name' | 'email'>;
export type ShopperChangesRow = Partial<Pick<ShopperRow, 'first_name' | 'last_name' | 'email' | 'username' | 'password_hash'>>;

/** Shoppers. Usernames and external reference ids are unique per site (unique indexes). */
export interface ShopperStore {
  /** The profile fields, or null when gone. */
  profile(id: string): Promise<ShopperProfileRow | null>;
  /** Id and password hash of a username on a site, or null. */
  byUsername(siteId: string, username: string): Promise<{ id: string; password_hash: string | null } | null>;
  /** Id of an external reference on a site, or null. */
  byExternalRef(siteId: string, ref: string): Promise<string | null>;
  /** Shoppers of a site whose username or external reference is one of those given. */
  matching(siteId: string, fields: { username?: string; externalRef?: string }): Promise<Array<{ id: string; username: string | null; external_ref: string | null }>>;
  /** Stores a shopper; a taken username or external reference throws (nothing stored). */
  insert(row: NewShopperRow): Promise<void>;
  /** Stores a shopper unless its (site, external reference) exists; then leaves that one as it is. */
  insertIfNewExternal(row: NewShopperRow): Promise<void>;
  /** Atomically: the session's settings and, when given with fields, the shopper's row. */
  saveProfile(sessionId: string, session: { locale: string; currency: string; ip: string | null }, shopper: { id: string; changes: ShopperChangesRow } | null): Promise<void>;
  /** A site's shoppers, oldest first. */
  list(siteId: string): Promise<ShopperRow[]>;
  /** Shoppers of a site whose username or external reference is `ref`. */
  findByRef(siteId: string, ref: string): Promise<Array<{ id: string; username: string | null }>>;
  /** Id, username and external reference, or null when gone. */
  brief(id: string): Promise<{ id: string; username: string | null; external_ref: string | null } | null>;
}

/** Sites and API keys. Reads here are never cached (the domain keeps its own short cache). */
export interface SiteStore {
  get(id: string): Promise<SiteRow | null>;
  key(key: string): Promise<ApiKeyRow | null>;
  /** Every site's `allowed_origins` as stored. */
  allOrigins(): Promise<Array<string | null>>;
  list(): Promise<SiteRow[]>;
  count(): Promise<number>;
  keysOf(siteId: string): Promise<ApiKeyRow[]>;
  /** Stores a site; false (nothing written) when the id exists. */
  create(row: NewSiteRow): Promise<boolean>;
  /** Stores a key of an existing site: 'no-site', or the site of the key that already exists, else 'created'. */
  createKey(row: NewApiKeyRow): Promise<'created' | 'no-site' | { exists: string }>;
  setKeySecret(key: string, secretHash: string | null): Promise<void>;
  /** Deletes a key and revokes every token issued to it, atomically. */
  deleteKey(key: string): Promise<RevokedCount>;
  /** Stores a product of an existing site: 'no-site', 'exists' or 'created'. */
  createProduct(row: ProductRow): Promise<'created' | 'no-site' | 'exists'>;
  /** A site's live sessions (not expired at `now`), newest first, optionally one shopper's. */
  liveSessions(siteId: string, now: number, shopperId: string | null, limit: number): Promise<SessionRow[]>;
  /** How many handles and unspent tokens of the session's current epoch still reach it. */
  liveCounts(session: SessionRow, now: number): Promise<{ cookies: number; sessionTokens: number; accessTokens: number; refreshTokens: number }>;
}
