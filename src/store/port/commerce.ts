import type { CartRow, OrderRow, ProductRow } from '../rows.js';

export type NewCart = { id: string; site_id: string; session_id: string; shopper_id: string | null; now: number };
export type LineRow = { id: string; cart_id: string; product_id: string; quantity: number; created_at: number };
/** A cart line joined to its product (its current name and price). */
export interface PricedLine { id: string; productId: string; quantity: number; createdAt: number; name: string; price: string }

/**
 * Carts and their lines. A cart's `version` moves on every change; the compare-and-set methods
 * (bumpVersion, close) answer false, writing nothing, when the version or status moved.
 */
export interface CartStore {
  /** Makes sure a cart row exists (carts are allocated lazily); an existing one is left as it is. */
  ensure(cart: NewCart): Promise<void>;
  /** The cart, or null when gone. */
  get(id: string): Promise<CartRow | null>;
  /** Ids of a shopper's other active carts on a site (saved in earlier sessions). */
  savedCarts(siteId: string, shopperId: string, exceptId: string): Promise<string[]>;
  /** The cart's lines joined to the site's products, oldest first; lines of vanished products are left out. */
  pricedLines(cartId: string, siteId: string): Promise<PricedLine[]>;
  /** Every line of a cart. */
  lines(cartId: string): Promise<LineRow[]>;
  /** The line of a product in a cart, or null. */
  lineOfProduct(cartId: string, productId: string): Promise<{ id: string; quantity: number } | null>;
  /** A line by id within a cart, or null. */
  line(cartId: string, lineId: string): Promise<{ id: string; quantity: number } | null>;
  addLine(line: LineRow): Promise<void>;
  setQuantity(lineId: string, quantity: number): Promise<void>;
  removeLine(lineId: string): Promise<void>;
  /** Removes every line of a cart; answers how many. */
  clear(cartId: string): Promise<number>;
  /** version+1 if the cart is active at `version`. */
  bumpVersion(cartId: string, version: number, now: number): Promise<boolean>;
  /** Active at `version` → `status` (submitted or merged), version+1. */
  close(cartId: string, version: number | null, status: 'submitted' | 'merged', now: number): Promise<boolean>;
  /** The cart becomes the shopper's (version+1). */
  claim(cartId: string, shopperId: string, now: number): Promise<void>;
}

export interface OrderStore {
  insert(order: OrderRow): Promise<void>;
  /** A shopper's orders on a site (every session), or an anonymous session's own; newest first. */
  list(siteId: string, owner: { shopperId: string } | { sessionId: string }): Promise<OrderRow[]>;
  /** The newest order placed on a session, or null. */
  lastOfSession(sessionId: string): Promise<OrderRow | null>;
}

export interface CatalogueStore {
  /** A site's products in id order, at most `limit`. */
  list(siteId: string, limit?: number): Promise<ProductRow[]>;
  /** One product, or null. */
  find(siteId: string, productId: string): Promise<ProductRow | null>;
}
