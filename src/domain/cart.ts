import { randomHex } from '../crypto.js';
import { Conflict, InvalidToken, NotFound, ShopperInvalidRequest } from '../errors.js';
import { ensureCartRow, MAX_QUANTITY } from './carts.js';
import type { Ctx } from './context.js';
import type { Session } from './sessions.js';
import type { Store } from '../store/port.js';
import type { CartRow as StoredCart } from '../store/rows.js';
import type { OrderRow } from './orders.js';
import { emitEvent } from './events.js';

// Orders and handoff codes have their own files; the cart's callers find them here too.
export { getOrder, lastOrderOfSession, listOrders, type OrderRow } from './orders.js';
export { consumeHandoff, createHandoff, HANDOFF_TTL_MS, peekHandoff } from './handoffs.js';

export type CartRow = StoredCart;

/** Where a cart change came from: the Shopper API (the app knows), or the hosted pages (`cart.updated`). */
export type CartChannel = 'api' | 'hosted';


export interface CartLine {
  id: string;
  productId: string;
  name: string;
  /** Unit price, decimal string. */
  price: string;
  quantity: number;
  /** price × quantity, decimal string. */
  total: string;
}

export interface CartView {
  id: string;
  version: number;
  currency: string;
  lines: CartLine[];
  itemCount: number;
  subtotal: string;
}

/** Decimal string → cents (prices are validated `^\d+(\.\d{1,2})?$` at seed time). */
export function toCents(price: string): number {
  const [whole, frac = ''] = price.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
}

export function fromCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Parses a quantity: an integer 1..MAX_QUANTITY, else 400 invalid-request. */
export function parseQuantity(raw: string | undefined, fallback?: number): number {
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new ShopperInvalidRequest('Missing required parameter "quantity"');
  }
  if (!/^[0-9]{1,6}$/.test(raw.trim())) {
    throw new ShopperInvalidRequest(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  const n = Number(raw.trim());
  if (n < 1 || n > MAX_QUANTITY) {
    throw new ShopperInvalidRequest(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  return n;
}

/** Parses an expected cart version (param `version` or If-Match); null when none was given. */
export function parseVersion(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  const cleaned = raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (cleaned === '*') return null;
  if (!/^[0-9]{1,12}$/.test(cleaned)) {
    throw new ShopperInvalidRequest('version must be a whole number');
  }
  return Number(cleaned);
}

/**
 * The session's active cart row: session.cart_id, or — when that cart was submitted or merged —
 * a newly allocated cart that the session now points at. Returns the (possibly updated) session.
 */
export async function activeCart(ctx: Ctx, db: Store, session: Session): Promise<{ session: Session; cart: CartRow }> {
  const current = await db.sessions.cartOf(session.id);
  if (current !== null && current.epoch !== session.epoch) {
    // Re-keyed (a login) since the caller's handle was checked: the cart is the signed-in
    // shopper's now, out of reach of a handle made before.
    throw new InvalidToken('rekeyed');
  }
  let live: Session = current === null ? session : { ...session, cart_id: current.cart_id };
  await ensureCartRow(ctx, live, db);
  let cart = await mustGetCart(db, live.cart_id);
  if (cart.status !== 'active') {
    live = await newCartFor(ctx, db, live);
    cart = await mustGetCart(db, live.cart_id);
  }
  return { session: live, cart };
}

/** A cart row ensured just before (in the same transaction). */
async function mustGetCart(db: Store, id: string): Promise<CartRow> {
  const cart = await db.carts.get(id);
  if (cart === null) throw new Error(`cart ${id} is gone`);
  return cart;
}

async function newCartFor(ctx: Ctx, db: Store, session: Session): Promise<Session> {
  const next: Session = { ...session, cart_id: randomHex(16) };
  // Only replaces the cart id this caller saw: a racing caller that already moved the session on wins.
  if (!await db.sessions.moveCart(session.id, session.cart_id, next.cart_id)) {
    const current = await db.sessions.cartOf(session.id);
    if (current === null) throw new InvalidToken('expired');
    const winner: Session = { ...session, cart_id: current.cart_id };
    await ensureCartRow(ctx, winner, db);
    return winner;
  }
  await ensureCartRow(ctx, next, db);
  return next;
}

/** The cart with its lines, prices from the catalogue. */
export async function viewCart(db: Store, session: Session, cart: CartRow): Promise<CartView> {
  const rows = await db.carts.pricedLines(cart.id, cart.site_id);
  let subtotal = 0;
  let itemCount = 0;
  const lines = rows.map((row) => {
    const total = toCents(row.price) * row.quantity;
    subtotal += total;
    itemCount += row.quantity;
    return { id: row.id, productId: row.productId, name: row.name, price: row.price, quantity: row.quantity, total: fromCents(total) };
  });
  return { id: cart.id, version: cart.version, currency: session.currency, lines, itemCount, subtotal: fromCents(subtotal) };
}

/** Reads the session's active cart (allocating one if needed). */
export async function getActiveCart(ctx: Ctx, session: Session): Promise<{ session: Session; view: CartView }> {
  return await ctx.store.transaction(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    return { session: live, view: await viewCart(trx, live, cart) };
  });
}

/** Runs a change on the active cart in one transaction: version check, change, version bump. */
async function changeCart(
  ctx: Ctx,
  session: Session,
  expectedVersion: number | null,
  change: (trx: Store, cart: CartRow) => Promise<boolean>,
  channel: CartChannel = 'api'
): Promise<{ session: Session; view: CartView }> {
  return await ctx.store.transaction(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    if (expectedVersion !== null && expectedVersion !== cart.version) {
      throw new Conflict('concurrent-cart-modification-failure', `The cart was changed by another request (version ${cart.version}, expected ${expectedVersion})`);
    }
    const changed = await change(trx, cart);
    if (changed) {
      if (!await trx.carts.bumpVersion(cart.id, cart.version, ctx.now())) {
        throw new Conflict('concurrent-cart-modification-failure', 'The cart was changed by another request');
      }
      // The app built the cart through the API; a change on the hosted pages is news to it.
      if (channel === 'hosted') {
        await emitEvent(ctx, trx, 'cart.updated', { siteId: live.site_id, sessionId: live.id, cartId: cart.id, version: cart.version + 1 });
      }
    }
    const fresh = await mustGetCart(trx, cart.id);
    return { session: live, view: await viewCart(trx, live, fresh) };
  });
}

async function requireProduct(db: Store, siteId: string, productId: string): Promise<void> {
  const product = productId.length > 200 ? null : await db.catalogue.find(siteId, productId);
  if (product === null) {
    throw new NotFound(`Product "${productId.slice(0, 64)}" not found`);
  }
}

async function addOne(ctx: Ctx, trx: Store, cart: CartRow, productId: string, quantity: number): Promise<void> {
  await requireProduct(trx, cart.site_id, productId);
  const existing = await trx.carts.lineOfProduct(cart.id, productId);
  if (existing === null) {
    await trx.carts.addLine({ id: randomHex(8), cart_id: cart.id, product_id: productId, quantity, created_at: ctx.now() });
    return;
  }
  const total = existing.quantity + quantity;
  if (total > MAX_QUANTITY) {
    throw new ShopperInvalidRequest(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  await trx.carts.setQuantity(existing.id, total);
}

/** Adds `quantity` of a product (to its existing line if any). */
export async function addProduct(ctx: Ctx, session: Session, productId: string, quantity: number, expectedVersion: number | null = null, channel: CartChannel = 'api') {
  return await addProducts(ctx, session, [{ productId, quantity }], expectedVersion, channel);
}

/** Adds several products in one change: all or nothing. */
export async function addProducts(ctx: Ctx, session: Session, items: Array<{ productId: string; quantity: number }>, expectedVersion: number | null = null, channel: CartChannel = 'api') {
  return await changeCart(ctx, session, expectedVersion, async (trx, cart) => {
    for (const item of items) {
      await addOne(ctx, trx, cart, item.productId, item.quantity);
    }
    return items.length > 0;
  }, channel);
}

async function requireLine(trx: Store, cartId: string, lineItemId: string): Promise<{ id: string; quantity: number }> {
  const line = lineItemId.length > 64 ? null : await trx.carts.line(cartId, lineItemId);
  if (line === null) {
    throw new NotFound(`Line item "${lineItemId.slice(0, 64)}" not found`);
  }
  return line;
}

/** Sets a line's quantity (`add`: adds to it). */
export async function updateLine(ctx: Ctx, session: Session, lineItemId: string, quantity: number, mode: 'update' | 'add', expectedVersion: number | null = null, channel: CartChannel = 'api') {
  return await changeCart(ctx, session, expectedVersion, async (trx, cart) => {
    const line = await requireLine(trx, cart.id, lineItemId);
    const next = mode === 'add' ? line.quantity + quantity : quantity;
    if (next > MAX_QUANTITY) {
      throw new ShopperInvalidRequest(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
    }
    if (next === line.quantity) return false;
    await trx.carts.setQuantity(line.id, next);
    return true;
  }, channel);
}

/** Removes one line, or every line when lineItemId is null. */
export async function removeLines(ctx: Ctx, session: Session, lineItemId: string | null, expectedVersion: number | null = null, channel: CartChannel = 'api') {
  return await changeCart(ctx, session, expectedVersion, async (trx, cart) => {
    if (lineItemId !== null) {
      const line = await requireLine(trx, cart.id, lineItemId);
      await trx.carts.removeLine(line.id);
      return true;
    }
    return await trx.carts.clear(cart.id) > 0;
  }, channel);
}

/**
 * Turns the active cart into an order (cart status `submitted`); the session gets a new empty
 * cart. An empty cart cannot be submitted (409 cart-empty).
 */
export async function submitCart(ctx: Ctx, session: Session, details: Record<string, unknown>, expectedVersion: number | null = null): Promise<OrderRow> {
  return await ctx.store.transaction(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    if (expectedVersion !== null && expectedVersion !== cart.version) {
      throw new Conflict('concurrent-cart-modification-failure', `The cart was changed by another request (version ${cart.version}, expected ${expectedVersion})`);
    }
    const view = await viewCart(trx, live, cart);
    if (view.lines.length === 0) {
      throw new Conflict('cart-empty', 'The cart is empty; add a product before submitting');
    }
    if (!await trx.carts.close(cart.id, cart.version, 'submitted', ctx.now())) {
      throw new Conflict('concurrent-cart-modification-failure', 'The cart was changed by another request');
    }
    const order: OrderRow = {
      id: randomHex(8),
      site_id: live.site_id,
      session_id: live.id,
      shopper_id: live.shopper_id,
      cart_id: cart.id,
      currency: view.currency,
      total: view.subtotal,
      lines: JSON.stringify(view.lines.map((l) => ({ productId: l.productId, name: l.name, price: l.price, quantity: l.quantity, total: l.total }))),
      details: JSON.stringify(details),
      created_at: ctx.now()
    };
    await trx.orders.insert(order);
    await emitEvent(ctx, trx, 'order.placed', { siteId: order.site_id, sessionId: order.session_id, orderId: order.id, total: order.total, currency: order.currency });
    await newCartFor(ctx, trx, live);
    return order;
  });
}
