import type { NewApiKeyRow, NewShopperRow, NewSiteRow, ProductRow, SeedLogTable, SessionRow } from '../rows.js';
import type { EndpointRow } from '../webhooks.js';

export type SeedKind = SeedLogTable['kind'];
export interface SeedLogEntry { kind: SeedKind; id: string; site_id: string; digest: string; demo: number; applied_at: number }

/** One change of a seed load: `replace` overwrites an existing row, otherwise it is left alone. */
export type SeedWrite =
  | { kind: 'site'; row: NewSiteRow; replace: boolean }
  | { kind: 'key'; row: NewApiKeyRow; replace: boolean }
  | { kind: 'product'; row: ProductRow; replace: boolean }
  | { kind: 'shopper'; row: NewShopperRow; replace: boolean }
  /** A webhook endpoint; `replace` keeps its id and replaces its secret and events. */
  | { kind: 'webhook'; row: EndpointRow; replace: boolean };

/** The seed loader's storage: what was applied (seed_log) and the writes themselves. */
export interface SeedStore {
  /** Every applied entry's kind, id and digest. */
  log(): Promise<Array<{ kind: SeedKind; id: string; digest: string }>>;
  /** The demo mark of a site's seed entry, or null when no seed made it. */
  siteMark(siteId: string): Promise<{ demo: number } | null>;
  /** Whether any seed entry names this site. */
  mentions(siteId: string): Promise<boolean>;
  /** Ids of the sites the demo made. */
  demoSites(): Promise<string[]>;
  /** Applies the writes and records the entries, all in one transaction (all or none). */
  apply(writes: Array<{ write: SeedWrite; entry: SeedLogEntry }>): Promise<void>;
  /** Deletes a site with everything on it (keys, shoppers, products, sessions, tokens, carts, orders, webhooks, seed log), atomically. */
  removeSite(siteId: string): Promise<void>;
}

export interface HandoffRow { hash: string; session_id: string; epoch: number; expires_at: number; used_at: number | null }
/** A handoff code's session, with the epoch the code was made at. */
export type HandoffSessionRow = SessionRow & { code_epoch: number };

/** Single-use handoff codes (web checkout → hosted pages), stored only as hashes. */
export interface HandoffStore {
  insert(row: HandoffRow): Promise<void>;
  /** The session of an unused code unexpired at `now`, without using it; null otherwise. */
  peek(hash: string, now: number): Promise<HandoffSessionRow | null>;
  /**
   * Uses the code: of concurrent calls exactly one answers its session; the rest (and any call on
   * a used, expired or unknown code) answer null.
   */
  consume(hash: string, now: number): Promise<HandoffSessionRow | null>;
}
