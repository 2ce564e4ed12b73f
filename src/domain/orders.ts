import type { OrderRow as StoredOrder } from '../store/rows.js';
import { NotFound } from '../errors.js';
import type { Ctx } from './context.js';
import type { Session } from './sessions.js';

export type OrderRow = StoredOrder;

/** Orders: a shopper's on every session, an anonymous session's own. Written by submitCart (cart.ts). */
export async function listOrders(ctx: Ctx, session: Session): Promise<OrderRow[]> {
  let query = ctx.db.selectFrom('orders').selectAll().where('site_id', '=', session.site_id);
  query = session.shopper_id !== null ? query.where('shopper_id', '=', session.shopper_id) : query.where('session_id', '=', session.id);
  return await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
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
  return (await ctx.db.selectFrom('orders').selectAll().where('session_id', '=', session.id)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst()) ?? null;
}
