import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { getOrder, listOrders, submitCart } from '../domain/cart.js';
import { readParams } from '../http/params.js';
import { authenticate, requireFull, requireShopperAuthority } from './caller.js';
import { orderDocument } from './documents.js';
import { expectedVersion, send, shopperRoute } from './route.js';

/** Ordering: submit-cart (the shopper's authority), and the orders of a full token's shopper. */
export function orderRoutes(app: FastifyInstance, ctx: Ctx, me: string): void {
  shopperRoute(app, {
    method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart',
    handler: async (request, reply) => {
      // {"cart":{"termsOfSalesAcceptance":"true","ipAddress":"…"}} as Digital River documents it.
      const params = readParams(request, 'cart');
      const caller = await authenticate(ctx, request, reply, params);
      requireShopperAuthority(caller);
      const order = await submitCart(ctx, caller.session, { channel: 'api' }, expectedVersion(request, params));
      return send(request, reply, params, { submitCart: { order: orderDocument(me, order) } });
    }
  });

  shopperRoute(app, {
    method: 'GET', url: '/v1/shoppers/me/orders',
    handler: async (request, reply) => {
      const params = readParams(request);
      const caller = await authenticate(ctx, request, reply, params);
      requireFull(caller);
      const orders = await listOrders(ctx, caller.session);
      return send(request, reply, params, { orders: { uri: `${me}/orders`, order: orders.map((order) => orderDocument(me, order)), totalResults: orders.length } });
    }
  });
  shopperRoute(app, {
    method: 'GET', url: '/v1/shoppers/me/orders/:orderId',
    handler: async (request, reply) => {
      const params = readParams(request);
      const caller = await authenticate(ctx, request, reply, params);
      requireFull(caller);
      const id = (request.params as { orderId: string }).orderId.replace(/\.(json|xml)$/i, '');
      return send(request, reply, params, { order: orderDocument(me, await getOrder(ctx, caller.session, id)) });
    }
  });
}
