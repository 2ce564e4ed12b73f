import { randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import type { Session } from './sessions.js';
import type { Store } from '../store/port.js';

/** Largest quantity of one product in a cart. */
export const MAX_QUANTITY = 999;

/** Makes sure the session's active cart has a row (carts are allocated lazily). */
export async function ensureCartRow(ctx: Ctx, session: Session, store: Store = ctx.store): Promise<void> {
  await store.carts.ensure({ id: session.cart_id, site_id: session.site_id, session_id: session.id, shopper_id: session.shopper_id, now: ctx.now() });
}

/**
 * At login: the session's cart becomes the shopper's, merged with the cart the
 * shopper saved in earlier sessions (quantities added, capped at MAX_QUANTITY).
 */
export async function attachShopperCart(ctx: Ctx, store: Store, session: Session, shopperId: string): Promise<void> {
  const now = ctx.now();
  await ensureCartRow(ctx, session, store);
  for (const cartId of await store.carts.savedCarts(session.site_id, shopperId, session.cart_id)) {
    for (const item of await store.carts.lines(cartId)) {
      const existing = await store.carts.lineOfProduct(session.cart_id, item.product_id);
      if (existing === null) {
        await store.carts.addLine({ id: randomHex(8), cart_id: session.cart_id, product_id: item.product_id, quantity: item.quantity, created_at: now });
      } else {
        await store.carts.setQuantity(existing.id, Math.min(MAX_QUANTITY, existing.quantity + item.quantity));
      }
    }
    await store.carts.close(cartId, null, 'merged', now);
  }
  await store.carts.claim(session.cart_id, shopperId, now);
}
