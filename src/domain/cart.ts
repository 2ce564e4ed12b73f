import { randomHex } from '../crypto.js';
import { Conflict, InvalidToken, NotFound, ShopperInvalidRequest } from '../errors.js';
import { ensureCartRow, MAX_QUANTITY } from './carts.js';
import type { Ctx } from './context.js';
import type { Executor, Session } from './sessions.js';
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
export async function activeCart(ctx: Ctx, db: Executor, session: Session): Promise<{ session: Session; cart: CartRow }> {
  const current = await db.selectFrom('sessions').select(['cart_id', 'epoch']).where('id', '=', session.id).executeTakeFirst();
  if (current !== undefined && current.epoch !== session.epoch) {
    // Re-keyed (a login) since the caller's handle was checked: the cart is the signed-in
    // shopper's now, out of reach of a handle made before.
    throw new InvalidToken('rekeyed');
  }
  let live: Session = current === undefined ? session : { ...session, cart_id: current.cart_id };
  await ensureCartRow(ctx, live, db);
  let cart = await db.selectFrom('carts').selectAll().where('id', '=', live.cart_id).executeTakeFirstOrThrow();
  if (cart.status !== 'active') {
    live = await newCartFor(ctx, db, live);
    cart = await db.selectFrom('carts').selectAll().where('id', '=', live.cart_id).executeTakeFirstOrThrow();
  }
  return { session: live, cart };
}

async function newCartFor(ctx: Ctx, db: Executor, session: Session): Promise<Session> {
  const next: Session = { ...session, cart_id: randomHex(16) };
  // Only replaces the cart id this caller saw: a racing caller that already moved the session on wins.
  const moved = await db.updateTable('sessions').set({ cart_id: next.cart_id })
    .where('id', '=', session.id).where('cart_id', '=', session.cart_id).executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) {
    const current = await db.selectFrom('sessions').select('cart_id').where('id', '=', session.id).executeTakeFirstOrThrow();
    const winner: Session = { ...session, cart_id: current.cart_id };
    await ensureCartRow(ctx, winner, db);
    return winner;
  }
  await ensureCartRow(ctx, next, db);
  return next;
}

/** The cart with its lines, prices from the catalogue. */
export async function viewCart(db: Executor, session: Session, cart: CartRow): Promise<CartView> {
  const rows = await db.selectFrom('line_items')
    .innerJoin('products', (join) => join.onRef('products.id', '=', 'line_items.product_id').on('products.site_id', '=', cart.site_id))
    .select(['line_items.id as id', 'line_items.product_id as productId', 'line_items.quantity as quantity', 'line_items.created_at as createdAt',
      'products.name as name', 'products.price as price'])
    .where('line_items.cart_id', '=', cart.id)
    .orderBy('line_items.created_at').orderBy('line_items.id')
    .execute();
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
  return await ctx.db.transaction().execute(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    return { session: live, view: await viewCart(trx, live, cart) };
  });
}

/** Runs a change on the active cart in one transaction: version check, change, version bump. */
async function changeCart(
  ctx: Ctx,
  session: Session,
  expectedVersion: number | null,
  change: (trx: Executor, cart: CartRow) => Promise<boolean>,
  channel: CartChannel = 'api'
): Promise<{ session: Session; view: CartView }> {
  return await ctx.db.transaction().execute(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    if (expectedVersion !== null && expectedVersion !== cart.version) {
      throw new Conflict('concurrent-cart-modification-failure', `The cart was changed by another request (version ${cart.version}, expected ${expectedVersion})`);
    }
    const changed = await change(trx, cart);
    if (changed) {
      const bumped = await trx.updateTable('carts')
        .set((eb) => ({ version: eb('version', '+', 1), updated_at: ctx.now() }))
        .where('id', '=', cart.id).where('version', '=', cart.version).where('status', '=', 'active')
        .executeTakeFirst();
      if (Number(bumped.numUpdatedRows) !== 1) {
        throw new Conflict('concurrent-cart-modification-failure', 'The cart was changed by another request');
      }
      // The app built the cart through the API; a change on the hosted pages is news to it.
      if (channel === 'hosted') {
        await emitEvent(ctx, trx, 'cart.updated', { siteId: live.site_id, sessionId: live.id, cartId: cart.id, version: cart.version + 1 });
      }
    }
    const fresh = await trx.selectFrom('carts').selectAll().where('id', '=', cart.id).executeTakeFirstOrThrow();
    return { session: live, view: await viewCart(trx, live, fresh) };
  });
}

async function requireProduct(db: Executor, siteId: string, productId: string): Promise<void> {
  const product = productId.length > 200 ? undefined
    : await db.selectFrom('products').select('id').where('site_id', '=', siteId).where('id', '=', productId).executeTakeFirst();
  if (product === undefined) {
    throw new NotFound(`Product "${productId.slice(0, 64)}" not found`);
  }
}

async function addOne(ctx: Ctx, trx: Executor, cart: CartRow, productId: string, quantity: number): Promise<void> {
  await requireProduct(trx, cart.site_id, productId);
  const existing = await trx.selectFrom('line_items').select(['id', 'quantity'])
    .where('cart_id', '=', cart.id).where('product_id', '=', productId).executeTakeFirst();
  if (existing === undefined) {
    await trx.insertInto('line_items').values({ id: randomHex(8), cart_id: cart.id, product_id: productId, quantity, created_at: ctx.now() }).execute();
    return;
  }
  const total = existing.quantity + quantity;
  if (total > MAX_QUANTITY) {
    throw new ShopperInvalidRequest(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  await trx.updateTable('line_items').set({ quantity: total }).where('id', '=', existing.id).execute();
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

async function requireLine(trx: Executor, cartId: string, lineItemId: string): Promise<{ id: string; quantity: number }> {
  const line = lineItemId.length > 64 ? undefined
    : await trx.selectFrom('line_items').select(['id', 'quantity']).where('cart_id', '=', cartId).where('id', '=', lineItemId).executeTakeFirst();
  if (line === undefined) {
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
    await trx.updateTable('line_items').set({ quantity: next }).where('id', '=', line.id).execute();
    return true;
  }, channel);
}

/** Removes one line, or every line when lineItemId is null. */
export async function removeLines(ctx: Ctx, session: Session, lineItemId: string | null, expectedVersion: number | null = null, channel: CartChannel = 'api') {
  return await changeCart(ctx, session, expectedVersion, async (trx, cart) => {
    if (lineItemId !== null) {
      const line = await requireLine(trx, cart.id, lineItemId);
      await trx.deleteFrom('line_items').where('id', '=', line.id).execute();
      return true;
    }
    const deleted = await trx.deleteFrom('line_items').where('cart_id', '=', cart.id).executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0;
  }, channel);
}

/**
 * Turns the active cart into an order (cart status `submitted`); the session gets a new empty
 * cart. An empty cart cannot be submitted (409 cart-empty).
 */
export async function submitCart(ctx: Ctx, session: Session, details: Record<string, unknown>, expectedVersion: number | null = null): Promise<OrderRow> {
  return await ctx.db.transaction().execute(async (trx) => {
    const { session: live, cart } = await activeCart(ctx, trx, session);
    if (expectedVersion !== null && expectedVersion !== cart.version) {
      throw new Conflict('concurrent-cart-modification-failure', `The cart was changed by another request (version ${cart.version}, expected ${expectedVersion})`);
    }
    const view = await viewCart(trx, live, cart);
    if (view.lines.length === 0) {
      throw new Conflict('cart-empty', 'The cart is empty; add a product before submitting');
    }
    const closed = await trx.updateTable('carts').set((eb) => ({ status: 'submitted' as const, version: eb('version', '+', 1), updated_at: ctx.now() }))
      .where('id', '=', cart.id).where('status', '=', 'active').where('version', '=', cart.version).executeTakeFirst();
    if (Number(closed.numUpdatedRows) !== 1) {
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
    await trx.insertInto('orders').values(order).execute();
    await emitEvent(ctx, trx, 'order.placed', { siteId: order.site_id, sessionId: order.session_id, orderId: order.id, total: order.total, currency: order.currency });
    await newCartFor(ctx, trx, live);
    return order;
  });
}
