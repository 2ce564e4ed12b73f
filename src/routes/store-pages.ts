import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { constantTimeEqual, deriveHex } from '../crypto.js';
import {
  addProduct, consumeHandoff, getActiveCart, lastOrderOfSession, parseQuantity, peekHandoff, removeLines, submitCart, updateLine,
  type CartView, type OrderRow
} from '../domain/cart.js';
import { listProducts } from '../domain/catalogue.js';
import type { Ctx } from '../domain/context.js';
import type { Session } from '../domain/sessions.js';
import { getSite, type Site } from '../domain/sites.js';
import { Forbidden, MethodNotAllowed, NotFound, printable, ServiceError } from '../errors.js';
import { attachBrowser, browserSession, cookieSession } from '../http/browser-session.js';
import { param, readParams, type Params } from '../http/params.js';

export const CART_PAGE = 'DisplayThreePgCheckoutShoppingCartPage';
export const PAYMENT_PAGE = 'DisplayThreePgCheckoutAddressPaymentInfoPage';
export const THANK_YOU_PAGE = 'ThankYouPage';
const PAGES = new Set([CART_PAGE, PAYMENT_PAGE, THANK_YOU_PAGE]);
const LOCALE = /^[a-z]{2}(_[A-Z]{2})?$/;

export const PAGE_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The one escaping helper: every value that goes into a page passes through it. */
export function escapeHTML(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function csrfTokenOf(ctx: Ctx, session: Pick<Session, 'id' | 'epoch'>): string {
  return deriveHex(ctx.secret, 'csrf', `${session.id}:${session.epoch}`);
}

function formatMoney(locale: string, currency: string, value: string): string {
  try {
    return new Intl.NumberFormat(locale.replace('_', '-'), { style: 'currency', currency }).format(Number(value));
  } catch {
    return `${currency} ${value}`;
  }
}

/** Luhn check for the test payment form. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
header{background:#1d2330;color:#fff}
header .bar{max-width:960px;margin:0 auto;padding:14px 20px;display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:8px}
header .brand{font-weight:700;font-size:1.2rem;color:#fff;text-decoration:none}
nav.steps ol{list-style:none;display:flex;gap:6px;margin:0;padding:0;font-size:.85rem}
nav.steps li{padding:4px 10px;border-radius:999px;background:#343b4d;color:#c9cedb}
nav.steps li[aria-current=step]{background:#f5b400;color:#1d2330;font-weight:600}
main{max-width:960px;margin:24px auto;padding:0 20px}
h1{font-size:1.6rem;margin:0 0 16px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:20px;margin-bottom:20px}
.notice{border-left:4px solid #f5b400;background:#fff8e1;padding:12px 16px;border-radius:6px;margin-bottom:16px}
.error{border-left:4px solid #c62828;background:#fdecea;padding:12px 16px;border-radius:6px;margin-bottom:16px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:10px 8px;border-bottom:1px solid #e6e8ee;vertical-align:middle}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#5b6275}
td.num,th.num{text-align:right}
.inline{display:inline-flex;gap:6px;align-items:center;margin:0}
input,select{font:inherit;padding:8px 10px;border:1px solid #c5cad6;border-radius:6px;width:100%}
input[type=number]{width:5.5em}
input:focus,button:focus,a:focus{outline:3px solid #f5b400;outline-offset:2px}
button,.button{font:inherit;font-weight:600;padding:9px 16px;border-radius:6px;border:0;background:#1d2330;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#e6e8ee;color:#1d2330}
button.primary,.button.primary{background:#f5b400;color:#1d2330}
.totals{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:12px;margin-top:16px}
.totals .sum{font-size:1.25rem;font-weight:700}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:14px}
.field label{display:block;font-size:.9rem;font-weight:600;margin-bottom:4px}
.products{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
.product{border:1px solid #e6e8ee;border-radius:8px;padding:12px;display:flex;flex-direction:column;gap:8px}
.muted{color:#5b6275;font-size:.9rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer{max-width:960px;margin:0 auto 32px;padding:0 20px;color:#5b6275;font-size:.85rem}
@media (max-width:600px){th.hide,td.hide{display:none}h1{font-size:1.3rem}th,td{padding:8px 4px}.inline{flex-wrap:wrap}button{padding:7px 9px;font-size:.85rem}td .muted{display:none}input[type=number]{width:4.2em}.card{padding:14px}}
.table-wrap{overflow-x:auto}
`;

interface PageState {
  site: Site;
  locale: string;
  session: Session;
  csrf: string;
  notice: string | null;
  error: string | null;
}

export function storePageRoutes(app: FastifyInstance, ctx: Ctx, config: Config): void {
  const store = config.publicStoreURL.replace(/\/$/, '');

  function pageURL(site: Site, locale: string, page: string): string {
    return `/store/${encodeURIComponent(site.id)}/${encodeURIComponent(locale)}/${page}`;
  }

  function layout(state: PageState, page: string, title: string, body: string): string {
    const steps = [[CART_PAGE, 'Cart'], [PAYMENT_PAGE, 'Address & payment'], [THANK_YOU_PAGE, 'Confirmation']]
      .map(([p, label]) => `<li${p === page ? ' aria-current="step"' : ''}>${escapeHTML(label)}</li>`).join('');
    const notice = state.notice === null ? '' : `<div class="notice" role="status">${escapeHTML(state.notice)}</div>`;
    const error = state.error === null ? '' : `<div class="error" role="alert">${escapeHTML(state.error)}</div>`;
    return `<!doctype html>
<html lang="${escapeHTML(state.locale.split('_')[0])}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHTML(title)} · ${escapeHTML(state.site.name)}</title><style>${STYLE}</style></head>
<body>
<header><div class="bar"><a class="brand" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">${escapeHTML(state.site.name)}</a>
<nav class="steps" aria-label="Checkout steps"><ol>${steps}</ol></nav></div></header>
<main>${notice}${error}<h1>${escapeHTML(title)}</h1>${body}</main>
<footer>Test store · no real payments are taken</footer>
</body></html>`;
  }

  function csrfField(state: PageState): string {
    return `<input type="hidden" name="csrf" value="${escapeHTML(state.csrf)}">`;
  }

  function money(state: PageState, currency: string, value: string): string {
    return escapeHTML(formatMoney(state.locale, currency, value));
  }

  async function cartPage(state: PageState, view: CartView): Promise<string> {
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
    const products = await listProducts(ctx, state.site.id, 50);
    const catalogue = products.map((p) => `<div class="product"><strong>${escapeHTML(p.name)}</strong><span class="muted">${money(state, state.site.currency, p.price)}</span>
<form method="post" action="${action}">${csrfField(state)}<input type="hidden" name="action" value="add"><input type="hidden" name="productId" value="${escapeHTML(p.id)}"><input type="hidden" name="quantity" value="1">
<button type="submit" aria-label="Add ${escapeHTML(p.name)} to cart">Add to cart</button></form></div>`).join('\n');
    return layout(state, CART_PAGE, 'Your cart', `<section class="card" aria-label="Cart">${table}</section>
<section class="card" aria-labelledby="more"><h2 id="more">Add more products</h2><div class="products">${catalogue}</div></section>`);
  }

  const ADDRESS_FIELDS: Array<[string, string, string]> = [
    ['firstName', 'First name', 'given-name'], ['lastName', 'Last name', 'family-name'], ['email', 'E-mail', 'email'],
    ['line1', 'Street address', 'address-line1'], ['city', 'City', 'address-level2'], ['postalCode', 'Postal code', 'postal-code'],
    ['country', 'Country', 'country']
  ];

  function paymentPage(state: PageState, view: CartView, values: Params): string {
    const action = escapeHTML(pageURL(state.site, state.locale, PAYMENT_PAGE));
    const field = (name: string, label: string, auto: string, type = 'text', extra = ''): string =>
      `<div class="field"><label for="f-${name}">${escapeHTML(label)}</label><input id="f-${name}" name="${name}" type="${type}" autocomplete="${auto}" value="${escapeHTML(name === 'cardNumber' || name === 'cvv' ? '' : values.get(name) ?? '')}" required${extra}></div>`;
    const summary = view.lines.map((l) => `<li>${escapeHTML(l.quantity)} × ${escapeHTML(l.name)} — ${money(state, view.currency, l.total)}</li>`).join('');
    if (view.lines.length === 0) {
      return layout(state, PAYMENT_PAGE, 'Address & payment', `<section class="card"><p id="empty-cart">Your cart is empty.</p>
<a class="button" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">Back to cart</a></section>`);
    }
    return layout(state, PAYMENT_PAGE, 'Address & payment', `<form method="post" action="${action}">${csrfField(state)}
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

  function thankYouPage(state: PageState, order: OrderRow | null): string {
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
<a class="button" href="${escapeHTML(pageURL(state.site, state.locale, CART_PAGE))}">Continue shopping</a></section>`);
  }

  /** Asks a signed-in browser before a handoff moves it to another session. */
  function switchPage(state: PageState, page: string, code: string): string {
    const here = escapeHTML(pageURL(state.site, state.locale, page));
    return layout({ ...state, notice: 'You are signed in in this browser. The link you followed would move this browser to a different checkout session.' }, page, 'Switch checkout?', `<section class="card">
<p>Switch only if you started that checkout yourself, for example in the shop's app. If you did not, stay: nothing has changed.</p>
<form method="post" action="${here}">${csrfField(state)}<input type="hidden" name="action" value="switch-session"><input type="hidden" name="handoff" value="${escapeHTML(code)}">
<button class="primary" type="submit">Switch to the new checkout</button> <a class="button" href="${here}">Stay in my session</a></form></section>`);
  }

  function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }

  /** The same URL without `handoff`, on the configured public store origin. */
  function withoutHandoff(request: FastifyRequest): string {
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('handoff');
    const query = url.searchParams.toString();
    return `${store}${url.pathname}${query === '' ? '' : `?${query}`}`;
  }

  function checkCSRF(state: PageState, params: Params): void {
    const given = params.get('csrf') ?? '';
    if (!constantTimeEqual(given, state.csrf)) {
      throw new Forbidden('The form has expired or did not come from this store; reload the page and try again');
    }
  }

  app.route({
    method: ['GET', 'POST'],
    url: '/store/:siteId/:locale/:page',
    config: { surface: 'page' },
    onRequest: async (_request, reply) => {
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
    },
    handler: async (request, reply) => {
      const { siteId, locale, page } = request.params as { siteId: string; locale: string; page: string };
      if (!PAGES.has(page) || !LOCALE.test(locale)) {
        throw new NotFound('No such page');
      }
      const site = await getSite(ctx, siteId);
      if (site === null) {
        throw new NotFound(`Unknown store "${printable(siteId)}"`);
      }
      const params = readParams(request);
      let notice: string | null = null;
      const handoff = params.get('handoff');
      if (request.method === 'GET' && handoff !== undefined) {
        // A handoff never silently takes a signed-in browser off its session: a link from
        // anywhere could otherwise sign the shopper out and into someone else's checkout. The
        // browser is asked first (a CSRF-protected form); the same shopper's sessions switch freely.
        const current = await cookieSession(ctx, request, site);
        if (current !== null && current.shopper_id !== null) {
          const pending = await peekHandoff(ctx, site.id, handoff);
          if (pending !== null && pending.id !== current.id && pending.shopper_id !== current.shopper_id) {
            const state: PageState = { site, locale, session: current, csrf: csrfTokenOf(ctx, current), notice: null, error: null };
            return sendPage(reply, switchPage(state, page, handoff));
          }
        }
        const handed = await consumeHandoff(ctx, site.id, handoff);
        if (handed !== null) {
          await attachBrowser(ctx, request, reply, site, handed);
          return reply.redirect(withoutHandoff(request), 302);
        }
        notice = 'That checkout link has expired or was already used. You are looking at your own cart in this browser.';
      }
      // A form post without a live session cannot carry a valid CSRF token: refuse it before a
      // session is made, so the refusal changes nothing. A new session on GET counts against the
      // guest budgets like the site action's.
      const session = await browserSession(ctx, request, reply, site, request.method === 'POST'
        ? async () => { throw new Forbidden('The form has expired or did not come from this store; reload the page and try again'); }
        : async () => await app.budgets.admitGuest(request, reply, site));
      const state: PageState = { site, locale, session, csrf: csrfTokenOf(ctx, session), notice, error: null };

      if (request.method === 'POST') {
        checkCSRF(state, params);
        if (params.get('action') === 'switch-session') {
          // The signed-in browser's own answer to switchPage: only now is the code used.
          const handed = await consumeHandoff(ctx, site.id, params.get('handoff') ?? '');
          if (handed === null) {
            const expired = { ...state, notice: 'That checkout link has expired or was already used. You are still in your own session.' };
            return sendPage(reply, page === CART_PAGE ? await cartPage(expired, (await getActiveCart(ctx, session)).view)
              : page === PAYMENT_PAGE ? paymentPage(expired, (await getActiveCart(ctx, session)).view, new Map())
                : thankYouPage(expired, await lastOrderOfSession(ctx, session)));
          }
          await attachBrowser(ctx, request, reply, site, handed);
          return reply.redirect(pageURL(site, locale, page), 303);
        }
        if (page === CART_PAGE) {
          try {
            const action = params.get('action') ?? '';
            const lineItemId = param(params, 'lineItemId') ?? '';
            if (action === 'add') {
              await addProduct(ctx, session, param(params, 'productId') ?? '', parseQuantity(param(params, 'quantity'), 1));
            } else if (action === 'update') {
              await updateLine(ctx, session, lineItemId, parseQuantity(param(params, 'quantity')), 'update');
            } else if (action === 'remove') {
              await removeLines(ctx, session, lineItemId);
            } else {
              throw new ServiceError(400, 'invalid-request', 'Unknown cart action');
            }
          } catch (err) {
            if (err instanceof ServiceError && err.status < 500) {
              const view = (await getActiveCart(ctx, session)).view;
              return sendPage(reply, await cartPage({ ...state, error: err.description }, view), err.status);
            }
            throw err;
          }
          return reply.redirect(pageURL(site, locale, CART_PAGE), 303);
        }
        if (page === PAYMENT_PAGE) {
          const problems: string[] = [];
          const value = (name: string): string => (params.get(name) ?? '').trim();
          for (const [name, label] of ADDRESS_FIELDS) {
            if (value(name) === '' || value(name).length > 200) problems.push(`${label} is required`);
          }
          if (value('email') !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value('email'))) problems.push('E-mail is not valid');
          const card = value('cardNumber').replace(/[\s-]/g, '');
          if (!/^[0-9]{12,19}$/.test(card) || !luhn(card)) problems.push('Card number is not valid');
          if (!/^(0[1-9]|1[0-2])\/[0-9]{2}$/.test(value('expiry'))) problems.push('Expiry must be MM/YY');
          if (!/^[0-9]{3,4}$/.test(value('cvv'))) problems.push('Security code must be 3 or 4 digits');
          const { view } = await getActiveCart(ctx, session);
          if (problems.length > 0) {
            return sendPage(reply, paymentPage({ ...state, error: problems.join('. ') + '.' }, view, params), 400);
          }
          const versionRaw = param(params, 'version');
          const version = versionRaw !== undefined && /^[0-9]{1,12}$/.test(versionRaw) ? Number(versionRaw) : null;
          const address = Object.fromEntries(ADDRESS_FIELDS.map(([n]) => [n, value(n).slice(0, 200)]));
          try {
            await submitCart(ctx, session, { channel: 'web', address, payment: { method: 'test-card', last4: card.slice(-4) } }, version);
          } catch (err) {
            if (err instanceof ServiceError && err.status === 409) {
              const fresh = (await getActiveCart(ctx, session)).view;
              return sendPage(reply, paymentPage({ ...state, error: 'Your cart changed while you were checking out (or is empty). Please review it and place the order again.' }, fresh, params), 409);
            }
            throw err;
          }
          return reply.redirect(pageURL(site, locale, THANK_YOU_PAGE), 303);
        }
        throw new MethodNotAllowed('GET');
      }

      if (page === CART_PAGE) {
        return sendPage(reply, await cartPage(state, (await getActiveCart(ctx, session)).view));
      }
      if (page === PAYMENT_PAGE) {
        return sendPage(reply, paymentPage(state, (await getActiveCart(ctx, session)).view, new Map()));
      }
      return sendPage(reply, thankYouPage(state, await lastOrderOfSession(ctx, session)));
    }
  });
}
