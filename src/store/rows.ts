import type { Generated, Insertable, Kysely, Selectable } from 'kysely';
import type { WebhookDeliveryTable, WebhookEndpointTable, WebhookEventTable } from './webhook-rows.js';

/** Times are unix milliseconds. Secret columns hold `hashSecret()` values, never raw secrets. */
export interface SiteTable {
  id: string;
  name: string;
  locale: string;
  currency: string;
  ttl_seconds: number;
  idle_seconds: number;
  refresh_ttl_seconds: number;
  refresh_grace_seconds: number;
  /** JSON array of origins, or null when any page may include the site action. */
  allowed_origins: string | null;
  session_token_exchange: 'any' | 'confidential';
  /** JSON object of per-site limits (rate limits, anonymous-session caps); null = defaults. */
  limits: string | null;
  /** Where the hosted pages link back to (an absolute https URL, or http on loopback); null = none. */
  return_url: string | null;
}

export interface ApiKeyTable {
  key: string;
  site_id: string;
  type: 'public' | 'confidential';
  secret_hash: string | null;
}

export interface ShopperTable {
  id: string;
  site_id: string;
  username: string | null;
  password_hash: string | null;
  external_ref: string | null;
  first_name: string;
  last_name: string;
  email: string;
  locale: string | null;
  currency: string | null;
  created_at: number;
}

export interface ProductTable {
  site_id: string;
  id: string;
  name: string;
  price: string;
}

export interface SessionTable {
  id: string;
  site_id: string;
  shopper_id: string | null;
  /** Bumped at login: every handle and token of an older epoch is dead ("re-keyed"). */
  epoch: number;
  locale: string;
  currency: string;
  ip: string | null;
  /** The address the session was last used from (token info `clientIpAddress`); null until first recorded. */
  client_ip: string | null;
  cart_id: string;
  created_at: number;
  last_used_at: number;
  /** min(created_at + ttl, last_used_at + idle): the one column validation compares. */
  expires_at: number;
}

/** Cookie values and session tokens: bearer handles on a session. */
export interface HandleTable {
  hash: string;
  session_id: string;
  kind: 'cookie' | 'session_token';
  epoch: number;
  created_at: number;
}

export interface AccessTokenTable {
  hash: string;
  session_id: string;
  site_id: string;
  api_key: string;
  kind: 'limited' | 'full';
  epoch: number;
  /** Every token descended from one grant by refresh shares a chain (reuse detection revokes it). */
  chain_id: string;
  created_at: number;
  revoked_reason: string | null;
}

export interface RefreshTokenTable {
  hash: string;
  session_id: string;
  site_id: string;
  api_key: string;
  kind: 'limited' | 'full';
  epoch: number;
  chain_id: string;
  /** The access token issued with this refresh token (revoked together). */
  access_hash: string;
  shopper_id: string | null;
  created_at: number;
  expires_at: number;
  spent_at: number | null;
  revoked_reason: string | null;
}

export interface CartTable {
  id: string;
  site_id: string;
  session_id: string;
  shopper_id: string | null;
  status: 'active' | 'submitted' | 'merged';
  version: number;
  created_at: number;
  updated_at: number;
}

export interface LineItemTable {
  id: string;
  cart_id: string;
  product_id: string;
  quantity: number;
  created_at: number;
}

export interface OrderTable {
  id: string;
  site_id: string;
  session_id: string;
  shopper_id: string | null;
  cart_id: string;
  currency: string;
  total: string;
  /** JSON: line items as ordered (product, name, price, quantity). */
  lines: string;
  /** JSON: billing address and the test payment's masked details. */
  details: string;
  created_at: number;
}

export interface HandoffCodeTable {
  hash: string;
  session_id: string;
  epoch: number;
  expires_at: number;
  used_at: number | null;
}

/** Short-lived shared counters (rate limits) when no Redis is configured. */
export interface CounterTable {
  key: string;
  window_start: number;
  count: number;
  expires_at: number;
}

/**
 * One row per seed entry the loader has applied: `digest` is an HMAC of the entry's text, so an
 * unchanged entry is never applied again (a rotated or deleted key stays so); `demo` = 1 for the
 * demo site's entries, which a start without the demo removes.
 */
export interface SeedLogTable {
  kind: 'site' | 'key' | 'shopper' | 'product' | 'webhook';
  /** The site id, the key, or `site/username`, `site/productId`, `site/url`. */
  id: string;
  site_id: string;
  digest: string;
  demo: number;
  applied_at: number;
}

/** What a handoff remembers for the way back: keyed by `hashSecret(secret, 'handoff-return', code)`. */
export interface HandoffReturnTable {
  hash: string;
  api_key: string;
  return_url: string;
  expires_at: number;
}

/** What a browser's session remembers once it arrived through such a handoff (one row per session). */
export interface SessionReturnTable {
  session_id: string;
  api_key: string;
  return_url: string;
  expires_at: number;
}

/** A return code (single use, 60 s): only its hash is stored, bound to the key and the return URL. */
export interface ReturnCodeTable {
  hash: string;
  session_id: string;
  site_id: string;
  api_key: string;
  return_url: string;
  order_id: string;
  expires_at: number;
  used_at: number | null;
}

export interface Database {
  sites: SiteTable;
  api_keys: ApiKeyTable;
  shoppers: ShopperTable;
  products: ProductTable;
  sessions: SessionTable;
  handles: HandleTable;
  access_tokens: AccessTokenTable;
  refresh_tokens: RefreshTokenTable;
  carts: CartTable;
  line_items: LineItemTable;
  orders: OrderTable;
  handoff_codes: HandoffCodeTable;
  counters: CounterTable;
  seed_log: SeedLogTable;
  handoff_returns: HandoffReturnTable;
  session_returns: SessionReturnTable;
  return_codes: ReturnCodeTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_events: WebhookEventTable;
  webhook_deliveries: WebhookDeliveryTable;
}

export type Unused = Generated<number>;

/** Rows as read (every column), and as inserted (defaults optional): what the rest of the code names. */
export type SiteRow = Selectable<SiteTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type ShopperRow = Selectable<ShopperTable>;
export type ProductRow = Selectable<ProductTable>;
export type SessionRow = Selectable<SessionTable>;
export type AccessTokenRow = Selectable<AccessTokenTable>;
export type RefreshTokenRow = Selectable<RefreshTokenTable>;
export type CartRow = Selectable<CartTable>;
export type OrderRow = Selectable<OrderTable>;
export type NewSiteRow = Insertable<SiteTable>;
export type NewApiKeyRow = Insertable<ApiKeyTable>;
export type NewShopperRow = Insertable<ShopperTable>;
/** A database handle or an open transaction on it. */
export type Executor = Kysely<Database>;
