import type { OrderRow } from '../../domain/cart.js';
import { escapeHTML } from '../../http/html.js';
import { CART_PAGE, layout, money, pageURL, THANK_YOU_PAGE, type PageState } from './layout.js';

/** The confirmation of the session's last order (or a note that there is none). */
export function thankYouPage(state: PageState, order: OrderRow | null): string {
  if (order === null) {
    return layout(state, THANK_YOU_PAGE, 'Thank you', `<section class="card"><p>No order has been placed in this session yet.</p>
<a class="button" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">Go to your cart</a></section>`);
  }
  const lines = JSON.parse(order.lines) as Array<{ productId: string; name: string; price: string; quantity: number; total: string }>;
  const details = JSON.parse(order.details) as Record<string, unknown>;
  const address = (details.address ?? {}) as Record<string, string>;
  const payment = (details.payment ?? {}) as Record<string, string>;
  const rows = lines.map((l) => `<tr><td>${escapeHTML(l.name)}</td><td class="num">${escapeHTML(l.quantity)}</td><td class="num">${money(state, order.currency, l.total)}</td></tr>`).join('');
  return layout(state, THANK_YOU_PAGE, 'Thank you for your order', `<section class="card"><p>Your order number is <strong id="order-id">${escapeHTML(order.id)}</strong>.</p>
<table><thead><tr><th scope="col">Product</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Total</th></tr></thead><tbody>${rows}</tbody></table>
<div class="totals"><span>Order total <span class="sum" id="total">${money(state, order.currency, order.total)}</span></span></div></section>
<section class="card"><h2>Billing</h2><p>${escapeHTML(address.firstName)} ${escapeHTML(address.lastName)}<br>${escapeHTML(address.line1)}<br>${escapeHTML(address.postalCode)} ${escapeHTML(address.city)}<br>${escapeHTML(address.country)}</p>
<p class="muted">Paid with test card ending ${escapeHTML(payment.last4)}</p>
<a class="button" id="continue" href="${escapeHTML(state.back ?? pageURL(state.site, state.locale, CART_PAGE))}">Continue shopping</a></section>`);
}
