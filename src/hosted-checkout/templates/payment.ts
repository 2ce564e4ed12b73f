import type { CartView } from '../../domain/cart.js';
import { escapeHTML } from '../../http/html.js';
import type { Params } from '../../http/params.js';
import { countryCode, countryOptions, localeCountry } from '../countries.js';
import { signInCard } from './account.js';
import { CART_PAGE, csrfField, layout, money, PAYMENT_PAGE, pageURL, type PageState } from './layout.js';

/** The address and test-payment form, with the order summary. The card number and code are never echoed. */
export const ADDRESS_FIELDS: Array<[string, string, string]> = [
  ['firstName', 'First name', 'given-name'], ['lastName', 'Last name', 'family-name'], ['email', 'E-mail', 'email'],
  ['line1', 'Street address', 'address-line1'], ['city', 'City', 'address-level2'], ['postalCode', 'Postal code', 'postal-code'],
  ['country', 'Country', 'country']
];

/** The country `<select>`: every ISO 3166 country by name in the page's language. */
function countrySelect(state: PageState, chosen: string, error: string): string {
  const selected = countryCode(chosen) ?? (chosen === '' ? localeCountry(state.locale) : null);
  const options = countryOptions(state.locale).map(([code, name]) => `<option value="${code}"${code === selected ? ' selected' : ''}>${escapeHTML(name)}</option>`).join('');
  return `<select id="f-country" name="country" autocomplete="country" required${invalid('country', error)}><option value="">Choose a country</option>${options}</select>`;
}

function invalid(name: string, error: string): string {
  return error === '' ? '' : ` aria-invalid="true" aria-describedby="e-${name}"`;
}

/**
 * `values`: what the shopper typed (kept after a refusal, but never the card number or code);
 * `errors`: field name → what is wrong with it, shown at the field.
 */
export function paymentPage(state: PageState, view: CartView, values: Params, errors: ReadonlyMap<string, string> = new Map()): string {
  const action = escapeHTML(pageURL(state.site, state.locale, PAYMENT_PAGE));
  const field = (name: string, label: string, auto: string, type = 'text', extra = ''): string => {
    const error = errors.get(name) ?? '';
    const message = error === '' ? '' : `<p class="field-error" id="e-${name}">${escapeHTML(error)}</p>`;
    const control = name === 'country' ? countrySelect(state, values.get(name) ?? '', error)
      : `<input id="f-${name}" name="${name}" type="${type}" autocomplete="${auto}" value="${escapeHTML(name === 'cardNumber' || name === 'cvv' ? '' : values.get(name) ?? '')}" required${extra}${invalid(name, error)}>`;
    return `<div class="field"><label for="f-${name}">${escapeHTML(label)}</label>${control}${message}</div>`;
  };
  const summary = view.lines.map((l) => `<li>${escapeHTML(l.quantity)} × ${escapeHTML(l.name)} — ${money(state, view.currency, l.total)}</li>`).join('');
  if (view.lines.length === 0) {
    return layout(state, PAYMENT_PAGE, 'Address & payment', `<section class="card"><p id="empty-cart">Your cart is empty.</p>
<a class="button" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">Back to cart</a></section>${signInCard(state, PAYMENT_PAGE)}`);
  }
  return layout(state, PAYMENT_PAGE, 'Address & payment', `${signInCard(state, PAYMENT_PAGE)}<form method="post" action="${action}">${csrfField(state)}
<input type="hidden" name="version" value="${escapeHTML(view.version)}">
<section class="card" aria-labelledby="addr"><h2 id="addr">Billing address</h2><div class="grid">
${ADDRESS_FIELDS.map(([n, l, a]) => field(n, l, a, n === 'email' ? 'email' : 'text', ' maxlength="200"')).join('\n')}
</div></section>
<section class="card" aria-labelledby="pay"><h2 id="pay">Test payment</h2><p class="muted">Use the test card 4111 1111 1111 1111, any future expiry, any 3 digits.</p><div class="grid">
${field('cardNumber', 'Card number', 'cc-number', 'text', ' inputmode="numeric" maxlength="23"')}
${field('expiry', 'Expiry (MM/YY)', 'cc-exp', 'text', ' maxlength="5" placeholder="MM/YY"')}
${field('cvv', 'Security code', 'cc-csc', 'text', ' inputmode="numeric" maxlength="4"')}
</div></section>
<section class="card" aria-labelledby="sum"><h2 id="sum">Order summary</h2><ul>${summary}</ul>
<div class="totals"><span>Total <span class="sum" id="total">${money(state, view.currency, view.subtotal)}</span></span><button class="primary" type="submit">Place order</button></div></section>
</form>`);
}
