import { Prepared } from '../prepared.js';
import type { CartRow, Executor, OrderRow, ProductRow } from '../rows.js';
import type { CartStore, CatalogueStore, LineRow, NewCart, OrderStore, PricedLine } from '../port/commerce.js';

const insertCart = new Prepared<NewCart, never>((db, $) => db.insertInto('carts').values({
  id: $('id'), site_id: $('site_id'), session_id: $('session_id'), shopper_id: $('shopper_id'),
  status: 'active', version: 0, created_at: $('now'), updated_at: $('now')
}).onConflict((oc) => oc.column('id').doNothing()));

/** Carts and lines on Kysely, both dialects. */
export class KyselyCarts implements CartStore {
  constructor(protected readonly db: Executor) {}

  async ensure(cart: NewCart): Promise<void> {
    await insertCart.run(this.db, cart);
  }

  async get(id: string): Promise<CartRow | null> {
    return (await this.db.selectFrom('carts').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async savedCarts(siteId: string, shopperId: string, exceptId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('carts').select('id')
      .where('site_id', '=', siteId).where('shopper_id', '=', shopperId)
      .where('status', '=', 'active').where('id', '!=', exceptId).execute();
    return rows.map((r) => r.id);
  }

  async pricedLines(cartId: string, siteId: string): Promise<PricedLine[]> {
    return await this.db.selectFrom('line_items')
      .innerJoin('products', (join) => join.onRef('products.id', '=', 'line_items.product_id').on('products.site_id', '=', siteId))
      .select(['line_items.id as id', 'line_items.product_id as productId', 'line_items.quantity as quantity', 'line_items.created_at as createdAt',
        'products.name as name', 'products.price as price'])
      .where('line_items.cart_id', '=', cartId)
      .orderBy('line_items.created_at').orderBy('line_items.id')
      .execute();
  }

  async lines(cartId: string): Promise<LineRow[]> {
    return await this.db.selectFrom('line_items').selectAll().where('cart_id', '=', cartId).execute();
  }

  async lineOfProduct(cartId: string, productId: string): Promise<{ id: string; quantity: number } | null> {
    return (await this.db.selectFrom('line_items').select(['id', 'quantity'])
      .where('cart_id', '=', cartId).where('product_id', '=', productId).executeTakeFirst()) ?? null;
  }

  async line(cartId: string, lineId: string): Promise<{ id: string; quantity: number } | null> {
    return (await this.db.selectFrom('line_items').select(['id', 'quantity'])
      .where('cart_id', '=', cartId).where('id', '=', lineId).executeTakeFirst()) ?? null;
  }

  async addLine(line: LineRow): Promise<void> {
    await this.db.insertInto('line_items').values(line).execute();
  }

  async setQuantity(lineId: string, quantity: number): Promise<void> {
    await this.db.updateTable('line_items').set({ quantity }).where('id', '=', lineId).execute();
  }

  async removeLine(lineId: string): Promise<void> {
    await this.db.deleteFrom('line_items').where('id', '=', lineId).execute();
  }

  async clear(cartId: string): Promise<number> {
    const deleted = await this.db.deleteFrom('line_items').where('cart_id', '=', cartId).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  async bumpVersion(cartId: string, version: number, now: number): Promise<boolean> {
    const bumped = await this.db.updateTable('carts')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', cartId).where('version', '=', version).where('status', '=', 'active')
      .executeTakeFirst();
    return Number(bumped.numUpdatedRows) === 1;
  }

  async close(cartId: string, version: number | null, status: 'submitted' | 'merged', now: number): Promise<boolean> {
    let query = this.db.updateTable('carts').set((eb) => ({ status, version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', cartId).where('status', '=', 'active');
    if (version !== null) query = query.where('version', '=', version);
    return Number((await query.executeTakeFirst()).numUpdatedRows) === 1;
  }

  async claim(cartId: string, shopperId: string, now: number): Promise<void> {
    await this.db.updateTable('carts').set((eb) => ({ shopper_id: shopperId, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', cartId).execute();
  }
}

export class KyselyOrders implements OrderStore {
  constructor(protected readonly db: Executor) {}

  async insert(order: OrderRow): Promise<void> {
    await this.db.insertInto('orders').values(order).execute();
  }

  async list(siteId: string, owner: { shopperId: string } | { sessionId: string }): Promise<OrderRow[]> {
    let query = this.db.selectFrom('orders').selectAll().where('site_id', '=', siteId);
    query = 'shopperId' in owner ? query.where('shopper_id', '=', owner.shopperId) : query.where('session_id', '=', owner.sessionId);
    return await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  async lastOfSession(sessionId: string): Promise<OrderRow | null> {
    return (await this.db.selectFrom('orders').selectAll().where('session_id', '=', sessionId)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst()) ?? null;
  }
}

export class KyselyCatalogue implements CatalogueStore {
  constructor(protected readonly db: Executor) {}

  async list(siteId: string, limit?: number): Promise<ProductRow[]> {
    let query = this.db.selectFrom('products').selectAll().where('site_id', '=', siteId).orderBy('id');
    if (limit !== undefined) query = query.limit(limit);
    return await query.execute();
  }

  async find(siteId: string, productId: string): Promise<ProductRow | null> {
    return (await this.db.selectFrom('products').selectAll().where('site_id', '=', siteId).where('id', '=', productId).executeTakeFirst()) ?? null;
  }
}
