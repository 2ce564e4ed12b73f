import type { OrderRow as StoredOrder } from '../store/rows.js';
import { NotFound } from '../errors.js';
import type { Ctx } from './context.js';
import type { Session } from './sessions.js';

export type OrderRow = StoredOrder;

/** Orders: a shopper's on every session, an anonymous session's own. Written by submitCart (cart.ts). */
export async function listOrders(ctx: Ctx, session: Session): Promise<OrderRow[]> {
  return await ctx.store.orders.list(session.site_id, session.shopper_id !== null ? { shopperId: session.shopper_id } : { sessionId: session.id });
}

export async function getOrder(ctx: Ctx, session: Session, orderId: string): Promise<OrderRow> {
  const order = (await listOrders(ctx, session)).find((o) => o.id === orderId);
  if (order === undefined) {
    throw new NotFound(`Order "${orderId.slice(0, 64)}" not found`);
  }
  return order;
}

/** The most recent order placed on this session (the thank-you page). */
export async function lastOrderOfSession(ctx: Ctx, session: Session): Promise<OrderRow | null> {
  return await ctx.store.orders.lastOfSession(session.id);
}
