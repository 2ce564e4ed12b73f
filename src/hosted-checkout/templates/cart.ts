import type { CartView } from '../../domain/cart.js';
import { escapeHTML } from '../../http/html.js';
import { signInCard } from './account.js';
import { CART_PAGE, csrfField, layout, money, PAYMENT_PAGE, pageURL, type PageState } from './layout.js';

/** The hosted cart: its lines (update, remove) and the site's products to add. */
export function cartPage(state: PageState, view: CartView, products: Array<{ id: string; name: string; price: string }>): string {
  const action = escapeHTML(pageURL(state.site, state.locale, CART_PAGE));
  const rows = view.lines.map((l) => `<tr>
<td>${escapeHTML(l.name)} <span class="muted">#${escapeHTML(l.productId)}</span></td>
<td class="num hide">${money(state, view.currency, l.price)}</td>
<td><form class="inline" method="post" action="${action}">${csrfField(state)}<input type="hidden" name="action" value="update"><input type="hidden" name="lineItemId" value="${escapeHTML(l.id)}">
<label class="sr-only" for="q-${escapeHTML(l.id)}">Quantity of ${escapeHTML(l.name)}</label><input id="q-${escapeHTML(l.id)}" type="number" name="quantity" min="1" max="999" value="${escapeHTML(l.quantity)}" required>
<button class="secondary" type="submit">Update</button></form></td>
<td class="num">${money(state, view.currency, l.total)}</td>
<td><form class="inline" method="post" action="${action}">${csrfField(state)}<input type="hidden" name="action" value="remove"><input type="hidden" name="lineItemId" value="${escapeHTML(l.id)}">
<button class="secondary" type="submit" aria-label="Remove ${escapeHTML(l.name)}">Remove</button></form></td></tr>`).join('\n');
  const table = view.lines.length === 0
    ? '<p id="empty-cart">Your cart is empty.</p>'
    : `<div class="table-wrap"><table><caption class="sr-only">Items in your cart</caption><thead><tr><th scope="col">Product</th><th scope="col" class="num hide">Price</th><th scope="col">Quantity</th><th scope="col" class="num">Total</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
<div class="totals"><span>${escapeHTML(view.itemCount)} item${view.itemCount === 1 ? '' : 's'} · Subtotal <span class="sum" id="subtotal">${money(state, view.currency, view.subtotal)}</span></span>
<a class="button primary" href="${escapeHTML(pageURL(state.site, state.locale, PAYMENT_PAGE))}">Continue to checkout</a></div>`;
  const catalogue = products.map((p) => `<div class="product"><strong>${escapeHTML(p.name)}</strong><span class="muted">${money(state, state.site.currency, p.price)}</span>
<form method="post" action="${action}">${csrfField(state)}<input type="hidden" name="action" value="add"><input type="hidden" name="productId" value="${escapeHTML(p.id)}"><input type="hidden" name="quantity" value="1">
<button type="submit" aria-label="Add ${escapeHTML(p.name)} to cart">Add to cart</button></form></div>`).join('\n');
  return layout(state, CART_PAGE, 'Your cart', `<section class="card" aria-label="Cart">${table}</section>
${signInCard(state, CART_PAGE)}<section class="card" aria-labelledby="more"><h2 id="more">Add more products</h2><div class="products">${catalogue}</div></section>`);
}
