import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.js';
import { addProduct, addProducts, getActiveCart, parseQuantity, type CartView } from '../domain/cart.js';
import { ShopperInvalidRequest } from '../errors.js';
import { MAX_PARAM_LENGTH, param, wrappedBody } from '../http/params.js';
import type { Caller } from './caller.js';
import { expectedVersion } from './route.js';

/**
 * The line items of a Global Commerce body (`{"cart":{"lineItems":{"lineItem":[{"quantity":"1","product":{"id":"1001"}}]}}}`
 * on POST …/carts/active and …/web-checkout, `{"lineItems":{"lineItem":…}}` on POST …/line-items), or
 * null when the body names none. Read after authentication, so a bad token still answers 401 first.
 */
export function bodyItems(request: FastifyRequest, wrapper: 'cart' | 'lineItems'): Array<{ productId: string; quantity: number }> | null {
  const inner = wrappedBody(request, wrapper);
  if (inner === null) return null;
  return cartItems(wrapper === 'cart' ? inner : { lineItems: inner });
}

export function hasBodyKey(request: FastifyRequest, key: string): boolean {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) && key in body;
}

function cartItems(cart: unknown): Array<{ productId: string; quantity: number }> {
  const lineItems = (cart as { lineItems?: { lineItem?: unknown } } | null)?.lineItems?.lineItem;
  const list = lineItems === undefined ? [] : Array.isArray(lineItems) ? lineItems : [lineItems];
  if (list.length > 50) throw new ShopperInvalidRequest('Too many line items in one request');
  const items = list.map((raw) => {
    const item = raw as { quantity?: unknown; product?: { id?: unknown } } | null;
    const id = item?.product?.id;
    if (typeof id !== 'string' && typeof id !== 'number') throw new ShopperInvalidRequest('Each line item needs product.id');
    // Read from the JSON directly, so the flat parameters' rules are applied here (PostgreSQL refuses a NUL in text).
    if (String(id).includes('\0') || String(id).length > MAX_PARAM_LENGTH) throw new ShopperInvalidRequest('product.id must be at most 4096 characters without NUL');
    const q = item?.quantity;
    return { productId: String(id), quantity: parseQuantity(q === undefined ? undefined : String(q), 1) };
  });
  return items;
}

/**
 * Applies productId/quantity or a cart body when given; returns the cart. With `required`
 * (POST …/carts/active), a request that asks for no change is a 400 saying what to send.
 */
export async function applyCartBody(ctx: Ctx, caller: Caller, request: FastifyRequest, required = false): Promise<CartView> {
  const productId = param(caller.params, 'productId');
  const version = expectedVersion(request, caller.params);
  const items = bodyItems(request, 'cart');
  if (items !== null) {
    if (productId !== undefined) items.push({ productId, quantity: parseQuantity(param(caller.params, 'quantity'), 1) });
    return (await addProducts(ctx, caller.session, items, version)).view;
  }
  if (productId === undefined) {
    if (param(caller.params, 'quantity') !== undefined) {
      throw new ShopperInvalidRequest('Missing required parameter "productId"');
    }
    // A `{"cart":…}` body that names no line items (Digital River's create-cart posts `{"cart":""}`)
    // is a request for the cart, not a forgotten productId.
    if (required && !hasBodyKey(request, 'cart')) {
      throw new ShopperInvalidRequest('Nothing to add: send productId (and quantity) as parameters, or a {"cart":{"lineItems":{"lineItem":[{"product":{"id":"…"},"quantity":1}]}}} body; GET reads the cart');
    }
    return (await getActiveCart(ctx, caller.session)).view;
  }
  const quantity = parseQuantity(param(caller.params, 'quantity'), 1);
  return (await addProduct(ctx, caller.session, productId, quantity, version)).view;
}
