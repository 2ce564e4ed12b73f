import { randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import type { Executor, Session } from './sessions.js';
import { Prepared } from '../store/prepared.js';

/** Largest quantity of one product in a cart. */
export const MAX_QUANTITY = 999;

type NewCart = { id: string; site_id: string; session_id: string; shopper_id: string | null; now: number };
const insertCart = new Prepared<NewCart, never>((db, $) => db.insertInto('carts').values({
  id: $('id'), site_id: $('site_id'), session_id: $('session_id'), shopper_id: $('shopper_id'),
  status: 'active', version: 0, created_at: $('now'), updated_at: $('now')
}).onConflict((oc) => oc.column('id').doNothing()), { insertsOnly: true });

/** Makes sure the session's active cart has a row (carts are allocated lazily). */
export async function ensureCartRow(ctx: Ctx, session: Session, db: Executor = ctx.db): Promise<void> {
  await insertCart.run(db, { id: session.cart_id, site_id: session.site_id, session_id: session.id, shopper_id: session.shopper_id, now: ctx.now() });
}

/**
 * At login: the session's cart becomes the shopper's, merged with the cart the
 * shopper saved in earlier sessions (quantities added, capped at MAX_QUANTITY).
 */
export async function attachShopperCart(ctx: Ctx, db: Executor, session: Session, shopperId: string): Promise<void> {
  const now = ctx.now();
  await ensureCartRow(ctx, session, db);
  const saved = await db.selectFrom('carts').select('id')
    .where('site_id', '=', session.site_id).where('shopper_id', '=', shopperId)
    .where('status', '=', 'active').where('id', '!=', session.cart_id)
    .execute();
  for (const cart of saved) {
    const items = await db.selectFrom('line_items').selectAll().where('cart_id', '=', cart.id).execute();
    for (const item of items) {
      const existing = await db.selectFrom('line_items').select(['id', 'quantity'])
        .where('cart_id', '=', session.cart_id).where('product_id', '=', item.product_id).executeTakeFirst();
      if (existing === undefined) {
        await db.insertInto('line_items').values({
          id: randomHex(8), cart_id: session.cart_id, product_id: item.product_id, quantity: item.quantity, created_at: now
        }).execute();
      } else {
        await db.updateTable('line_items').set({ quantity: Math.min(MAX_QUANTITY, existing.quantity + item.quantity) })
          .where('id', '=', existing.id).execute();
      }
    }
    await db.updateTable('carts').set({ status: 'merged', updated_at: now }).where('id', '=', cart.id).execute();
  }
  await db.updateTable('carts').set((eb) => ({ shopper_id: shopperId, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', session.cart_id).execute();
}
