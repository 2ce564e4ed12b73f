import type { Ctx } from '../domain/context.js';
import type { CartView, OrderRow } from '../domain/cart.js';
import type { Session } from '../domain/sessions.js';
import { shopperProfile } from '../domain/shoppers.js';
import type { Site } from '../domain/sites.js';
import { NotFound } from '../errors.js';

/**
 * The Shopper API's wire documents (Global Commerce's shapes). `me` is the public URL of
 * /v1/shoppers/me, the base of every `uri`.
 */

export function money(currency: string, value: string): Record<string, string> {
  return { currency, value };
}

export function cartDocument(me: string, view: CartView): Record<string, unknown> {
  return {
    cart: {
      id: view.id,
      uri: `${me}/carts/active`,
      version: view.version,
      lineItems: {
        uri: `${me}/carts/active/line-items`,
        lineItem: view.lines.map((l) => lineDocument(me, view, l.id))
      },
      totalItemsInCart: view.itemCount,
      pricing: { subtotal: money(view.currency, view.subtotal), orderTotal: money(view.currency, view.subtotal) },
      webCheckout: { uri: `${me}/carts/active/web-checkout` }
    }
  };
}

export function lineDocument(me: string, view: CartView, lineItemId: string): Record<string, unknown> {
  const l = view.lines.find((x) => x.id === lineItemId);
  if (l === undefined) {
    throw new NotFound(`Line item "${lineItemId.slice(0, 64)}" not found`);
  }
  return {
    id: l.id,
    uri: `${me}/carts/active/line-items/${l.id}`,
    quantity: l.quantity,
    product: { id: l.productId, uri: `${me}/products/${encodeURIComponent(l.productId)}`, displayName: l.name },
    pricing: { listPrice: money(view.currency, l.price), salePriceWithQuantity: money(view.currency, l.total) }
  };
}

export function orderDocument(me: string, order: OrderRow): Record<string, unknown> {
  const lines = JSON.parse(order.lines) as Array<{ productId: string; name: string; price: string; quantity: number; total: string }>;
  return {
    id: order.id,
    uri: `${me}/orders/${order.id}`,
    orderState: 'Submitted',
    status: 'submitted',
    submissionDate: new Date(order.created_at).toISOString(),
    totalItemsInOrder: lines.reduce((n, l) => n + l.quantity, 0),
    lineItems: {
      lineItem: lines.map((l) => ({
        quantity: l.quantity,
        product: { id: l.productId, displayName: l.name },
        pricing: { listPrice: money(order.currency, l.price), salePriceWithQuantity: money(order.currency, l.total) }
      }))
    },
    pricing: { orderTotal: money(order.currency, order.total) }
  };
}

export async function shopperDocument(ctx: Ctx, me: string, session: Session): Promise<Record<string, unknown>> {
  const base = { uri: me, locale: session.locale, currency: session.currency, ipAddress: session.ip ?? '' };
  if (session.shopper_id === null) {
    return { shopper: { id: 'Anonymous', ...base, firstName: '', lastName: '', emailAddress: '', username: '' } };
  }
  const s = await shopperProfile(ctx, session.shopper_id);
  return {
    shopper: {
      id: session.shopper_id, ...base,
      username: s?.username ?? '', externalReferenceId: s?.external_ref ?? '',
      firstName: s?.first_name ?? '', lastName: s?.last_name ?? '', emailAddress: s?.email ?? ''
    }
  };
}

export function productDocument(me: string, site: Site, p: { id: string; name: string; price: string }): Record<string, unknown> {
  return {
    id: p.id, uri: `${me}/products/${encodeURIComponent(p.id)}`, displayName: p.name, name: p.name,
    pricing: { listPrice: money(site.currency, p.price) },
    addProductToCart: { uri: `${me}/carts/active/line-items?productId=${encodeURIComponent(p.id)}` }
  };
}
