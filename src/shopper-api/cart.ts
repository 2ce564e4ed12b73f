import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { addProducts, getActiveCart, parseQuantity, removeLines, updateLine, type CartView } from '../domain/cart.js';
import { ShopperInvalidRequest } from '../errors.js';
import { param, readParams } from '../http/params.js';
import { authenticate } from './caller.js';
import { applyCartBody, bodyItems } from './cart-body.js';
import { cartDocument, lineDocument } from './documents.js';
import { expectedVersion, send, sendCart, shopperRoute } from './route.js';

/** The active cart: …/carts/active, its line items, and one line item. */
export function cartRoutes(app: FastifyInstance, ctx: Ctx, me: string): void {
  // The active cart.
  shopperRoute(app, {
    method: ['GET', 'POST'], url: '/v1/shoppers/me/carts/active',
    handler: async (request, reply) => {
      const params = readParams(request, 'cart');
      const caller = await authenticate(ctx, request, reply, params);
      const view = request.method === 'POST' ? await applyCartBody(ctx, caller, request, true) : (await getActiveCart(ctx, caller.session)).view;
      return sendCart(request, reply, params, me, view);
    }
  });

  shopperRoute(app, {
    method: ['GET', 'POST', 'DELETE'], url: '/v1/shoppers/me/carts/active/line-items',
    handler: async (request, reply) => {
      const params = readParams(request, 'lineItems');
      const caller = await authenticate(ctx, request, reply, params);
      const version = expectedVersion(request, params);
      if (request.method === 'DELETE') {
        await removeLines(ctx, caller.session, null, version);
        reply.header('cache-control', 'no-store');
        return reply.code(204).send();
      }
      let view: CartView;
      if (request.method === 'POST') {
        const action = (param(params, 'action') ?? 'add').toLowerCase();
        if (action !== 'add') throw new ShopperInvalidRequest('action must be "add" here; update a line at line-items/{lineItemId}');
        const productId = param(params, 'productId');
        const items = bodyItems(request, 'lineItems') ?? [];
        if (productId !== undefined) items.push({ productId, quantity: parseQuantity(param(params, 'quantity'), 1) });
        if (items.length === 0) throw new ShopperInvalidRequest('Missing required parameter "productId"');
        view = (await addProducts(ctx, caller.session, items, version)).view;
      } else {
        view = (await getActiveCart(ctx, caller.session)).view;
      }
      const doc = cartDocument(me, view).cart as Record<string, unknown>;
      reply.header('etag', `"${view.version}"`);
      return send(request, reply, params, { lineItems: doc.lineItems });
    }
  });

  shopperRoute(app, {
    method: ['GET', 'POST', 'DELETE'], url: '/v1/shoppers/me/carts/active/line-items/:lineItemId',
    handler: async (request, reply) => {
      const params = readParams(request, 'lineItem');
      const caller = await authenticate(ctx, request, reply, params);
      const id = (request.params as { lineItemId: string }).lineItemId.replace(/\.(json|xml)$/i, '');
      const version = expectedVersion(request, params);
      if (request.method === 'DELETE') {
        await removeLines(ctx, caller.session, id, version);
        reply.header('cache-control', 'no-store');
        return reply.code(204).send();
      }
      let view: CartView;
      if (request.method === 'POST') {
        const action = (param(params, 'action') ?? 'update').toLowerCase();
        if (action !== 'add' && action !== 'update') throw new ShopperInvalidRequest('action must be "add" or "update"');
        view = (await updateLine(ctx, caller.session, id, parseQuantity(param(params, 'quantity')), action, version)).view;
      } else {
        view = (await getActiveCart(ctx, caller.session)).view;
      }
      reply.header('etag', `"${view.version}"`);
      return send(request, reply, params, { lineItem: lineDocument(me, view, id) });
    }
  });
}
