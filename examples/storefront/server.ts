/**
 * A demo third-party storefront: a page on its own origin that does the documented Sessionlink flow.
 *
 * 1. The page asks the store for the shopper's session token with jQuery JSONP (the docs' exact call).
 * 2. It posts that token to this server (`/api/session`), which exchanges it for an access token with
 *    the confidential key, through the typed client (`src/client/`). The token pair stays here, keyed
 *    by this storefront's own cookie, and refreshes itself.
 * 3. Products and cart go page → this server → Shopper API (the client's ShopperSession). This server
 *    answers the page with what it shows: names, quantities and prices already formatted the way the
 *    hosted pages format them (the shopper's locale and the price's currency), and errors as sentences
 *    a shopper can act on.
 * 4. "Sign in" is a plain form (it works without JavaScript) posted to `/login`: this server runs the
 *    password grant with its confidential key and the limited token it holds on the browser's session
 *    (`dr_limited_token`), so the anonymous cart carries into the shopper's. The store re-keys the
 *    session: the limited token and the browser's store cookie die, and this server holds the new
 *    full token from then on. "Sign out" (`/logout`) revokes that token and starts a fresh guest session.
 * 5. "Checkout" goes to `/checkout`, which asks the API for web-checkout and redirects the browser to
 *    the hosted cart page with the handoff code; that is also how the browser follows the session
 *    after a sign-in.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SessionlinkClient, SessionlinkError, type Cart, type Money, type ProductList, type ShopperSession, type TokenResponse } from '../../src/client/index.js';
import { faviconRoute } from '../../src/ops/home.js';
import { roundTripRoutes, type OrderSummary } from './round-trip.js';

export interface StorefrontOptions {
  port: number;
  host: string;
  /** Origin of the Shopper API and the token endpoint, as seen from this server. */
  apiURL: string;
  /** Origin of the store (site action) as seen from the shopper's browser. */
  storeURL: string;
  siteId: string;
  /** Public API key (shown on the page for reference only). */
  apiKey: string;
  /** Confidential key and secret, used only on this server. */
  appKey: string;
  appSecret: string;
  /**
   * The way back: this storefront's `/return` URL, given to web-checkout as `returnUrl` (it must be
   * the site's returnUrl or on one of its allowedOrigins). Leave out to use the site's returnUrl.
   */
  returnURL?: string;
  /** The `whsec_…` secret of the site's webhook endpoint pointing at this server's `/webhooks`. */
  webhookSecret?: string;
}

const COOKIE = 'storefront_sid';
const CART_PAGE = 'DisplayThreePgCheckoutShoppingCartPage';
const LOCALE = /^[a-z]{2}(_[A-Z]{2})?$/;
/** The demo site's locale, for the no-JavaScript link to the hosted cart until a session has told us the real one. */
const FALLBACK_LOCALE = 'en_US';

export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe to place inside an inline <script>. */
function scriptJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Money as the hosted store pages show it: Intl.NumberFormat with the shopper's locale (`en_US`
 * read as `en-US`) and the amount's currency, so "19.99 USD" reads "$19.99" on both.
 */
export function formatMoney(locale: string, money: Money): string {
  try {
    return new Intl.NumberFormat(locale.replace('_', '-'), { style: 'currency', currency: money.currency }).format(Number(money.value));
  } catch {
    return `${money.currency} ${money.value}`;
  }
}

function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

function list<T>(value: T[] | T | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** What this server holds for one browser. */
interface Shopper {
  session: ShopperSession;
  /**
   * True when this server chose the session (a sign-in, or the guest session after sign-out):
   * the page's JSONP exchange then never replaces it. False when it is the browser's own store
   * session, joined with the session token the page sent.
   */
  own: boolean;
  /** The signed-in shopper's name; null for an anonymous shopper. */
  name: string | null;
  /** The session's locale (from the Shopper API), once asked. */
  locale: string | null;
}

/** A one-time message for the next page view (Post/Redirect/Get). */
interface Flash {
  text: string;
  error: boolean;
  /** The username typed into a sign-in that failed, to fill the form again. */
  username?: string;
}

/** What the page shows about the shopper when it is rendered. */
interface PageState {
  csrf: string;
  /** Skip the JSONP exchange: this server already holds the session it wants. */
  own: boolean;
  name: string | null;
  flash: Flash | null;
  /** The hosted cart page of the browser's own store session (the no-JavaScript way to shop). */
  hostedCartURL: string;
  /** The order the shopper just came back with from the hosted pages (`/return`), shown once. */
  order: OrderSummary | null;
}

/** The order the shopper came back with, every value escaped. */
function orderSection(order: OrderSummary | null): string {
  if (order === null) return '';
  const items = order.items.map((i) => `<li>${escapeHTML(String(i.quantity))} × ${escapeHTML(i.name)}</li>`).join('');
  return `<section id="order" class="wide" aria-labelledby="order-h">
    <h2 id="order-h">Thank you: order placed</h2>
    <p>Order <strong id="order-id">${escapeHTML(order.id)}</strong>${order.total === null ? '' : `, total <strong id="order-total">${escapeHTML(order.total)}</strong>`}. You are back at the shop.</p>
    ${items === '' ? '' : `<ul id="order-items">${items}</ul>`}
  </section>`;
}

/** Shopper-facing wording of a failed API call: what happened, the store's own words, what to do. */
export function shopperMessage(err: SessionlinkError): string {
  const says = err.description.trim() === '' ? '' : ` (the store says: “${err.description.trim().replace(/\.$/, '')}”)`;
  if (err.status === 0) {
    return err.code === 'timeout'
      ? 'The store took too long to answer. Try again in a moment.'
      : 'The store could not be reached. Check your connection and try again in a moment.';
  }
  if (err.status === 401 || err.isInvalidGrant) {
    return `Your visit to the store has ended${says}. Reload the page to start again; if you were signed in, sign in again.`;
  }
  if (err.status === 404) {
    return `This product is not on sale any more${says}. Reload the page to see what the store sells now.`;
  }
  if (err.status === 409) {
    return `Your cart was changed at the same moment, perhaps in another tab${says}. Try again.`;
  }
  if (err.status === 429) {
    const wait = err.retryAfter === undefined ? 'a few seconds' : `${Math.max(1, Math.ceil(err.retryAfter))} second${Math.ceil(err.retryAfter) <= 1 ? '' : 's'}`;
    return `The store is busy right now${says}. Wait ${wait} and try again.`;
  }
  if (err.status === 400) {
    return `The store did not accept that${says}. Check the quantities in your cart and try again.`;
  }
  if (err.status === 403) {
    return `The store did not allow that${says}. Reload the page and try again.`;
  }
  return `The store had a problem${says}. Try again in a moment.`;
}

/** Shopper-facing wording of a refused sign-in. */
function loginMessage(err: SessionlinkError): string {
  if (err.code === 'invalid_grant' && /username or password/i.test(err.description)) {
    return 'That username and password do not match an account. Check them (the password is case-sensitive) and try again.';
  }
  if (err.status === 429) {
    const wait = err.retryAfter === undefined ? 'a minute' : `${Math.max(1, Math.ceil(err.retryAfter))} seconds`;
    return `Too many sign-in attempts. Wait ${wait} and try again.`;
  }
  return `Could not sign in. ${shopperMessage(err)}`;
}

function page(options: StorefrontOptions, state: PageState): string {
  const store = options.storeURL.replace(/\/$/, '');
  const site = encodeURIComponent(options.siteId);
  const sessionTokenURL = `${store}/store/${site}/SessionToken?format=json`;
  const flash = state.flash;
  const loginFailed = flash !== null && flash.error && flash.username !== undefined;
  const account = state.name === null
    ? `<form id="signin" method="post" action="/login">
      <input type="hidden" name="csrf" value="${escapeHTML(state.csrf)}">
      ${loginFailed ? `<p id="signin-error" class="error" role="alert">${escapeHTML(flash.text)}</p>` : ''}
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" maxlength="200" required value="${escapeHTML(loginFailed ? flash.username ?? '' : '')}"${loginFailed ? ' aria-describedby="signin-error"' : ''}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" maxlength="200" required${loginFailed ? ' autofocus' : ''}>
      <button type="submit">Sign in</button>
      <p class="hint">Signing in keeps what is already in your cart.</p>
    </form>`
    : `<p id="signed-in">Signed in as <strong>${escapeHTML(state.name)}</strong></p>
    <form method="post" action="/logout">
      <input type="hidden" name="csrf" value="${escapeHTML(state.csrf)}">
      <button type="submit" class="secondary">Sign out</button>
    </form>`;
  // The status line: a message from the last form post, else what the script is doing.
  const statusText = flash !== null && !loginFailed ? flash.text : state.own ? '' : 'Connecting to the store…';
  const statusClass = flash !== null && !loginFailed ? (flash.error ? 'error' : '') : 'needs-js';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo storefront — ${escapeHTML(options.siteId)}</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f5f6f8; }
  body { margin: 0; }
  header { background: #243b55; color: #fff; padding: 1rem 1.5rem; }
  header h1 { margin: 0; font-size: 1.3rem; }
  header p { margin: .25rem 0 0; opacity: .8; font-size: .9rem; }
  main { max-width: 960px; margin: 1.5rem auto; padding: 0 1rem; display: grid; grid-template-columns: 2fr 1fr; gap: 1.5rem; align-items: start; }
  @media (max-width: 700px) { main { grid-template-columns: 1fr; } }
  .side { display: grid; gap: 1.5rem; }
  section { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
  ul { list-style: none; margin: 0; padding: 0; }
  .product { display: flex; justify-content: space-between; align-items: center; padding: .6rem 0; border-bottom: 1px solid #eceef2; }
  .product:last-child { border-bottom: 0; }
  .price { color: #5a6475; margin-left: .5rem; }
  button { font: inherit; border: 0; border-radius: 6px; padding: .45rem .9rem; cursor: pointer; background: #2f6fdf; color: #fff; }
  button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #f5b400; outline-offset: 2px; }
  button.secondary { background: #e6e8ee; color: #1d2330; }
  button[aria-disabled="true"] { opacity: .7; cursor: progress; }
  #checkout { width: 100%; margin-top: 1rem; background: #1f9d55; padding: .65rem; }
  /* After #checkout, and as specific, so a disabled Checkout looks disabled. */
  button:disabled, #checkout:disabled { background: #c9d0db; color: #4d5566; cursor: not-allowed; }
  label { display: block; font-size: .9rem; font-weight: 600; margin: .5rem 0 .2rem; }
  input { font: inherit; width: 100%; box-sizing: border-box; padding: .4rem .6rem; border: 1px solid #c5cad6; border-radius: 6px; }
  #signin button { margin-top: .75rem; }
  .hint { font-size: .85rem; color: #5a6475; margin: .5rem 0 0; }
  table { width: 100%; border-collapse: collapse; font-size: .95rem; }
  td { padding: .3rem 0; } td.n { text-align: right; }
  .total { font-weight: 600; border-top: 1px solid #dfe3ea; }
  #status { font-size: .9rem; color: #3d4656; margin: 0; grid-column: 1 / -1; }
  #status:empty, #events:empty { display: none; }
  .wide, #events { grid-column: 1 / -1; }
  #events { font-size: .9rem; margin: 0; color: #1f6f3d; }
  .error, #status.error { color: #b42318; }
  main > noscript { grid-column: 1 / -1; }
  .noscript { border-left: 4px solid #f5b400; }
  .noscript p { margin: .4rem 0; }
  code { font-size: .85em; }
</style>
<noscript><style>.needs-js { display: none !important; }</style></noscript>
</head>
<body>
<header>
  <h1>Demo storefront</h1>
  <p>A third-party shop for the site <code>${escapeHTML(options.siteId)}</code>, served from its own origin, selling through Sessionlink.</p>
</header>
<main>
  <noscript><section class="noscript" id="noscript" aria-labelledby="noscript-h">
    <h2 id="noscript-h">This shop needs JavaScript for its product list and cart</h2>
    <p>JavaScript is off, so this page cannot ask the store for your session, list the products or fill a cart.</p>
    <p>The store's own pages work without it: <a href="${escapeHTML(state.hostedCartURL)}">open your cart at the store</a> to add products, change quantities and pay there.</p>
    <p>Signing in below works without JavaScript too; after that, “Checkout” takes your account's cart to the store.</p>
  </section></noscript>
  <p id="status" class="${statusClass}" role="status" aria-live="polite" aria-atomic="true">${escapeHTML(statusText)}</p>
  ${orderSection(state.order)}
  <p id="events" role="status" aria-live="polite"></p>
  <section class="needs-js" aria-labelledby="products-h">
    <h2 id="products-h">Products</h2>
    <ul id="products"><li class="needs-js">Loading…</li></ul>
  </section>
  <div class="side">
    <section aria-labelledby="account-h">
      <h2 id="account-h">Your account</h2>
      ${account}
    </section>
    <section${state.name === null ? ' class="needs-js"' : ''} aria-labelledby="cart-h">
      <h2 id="cart-h">Your cart</h2>
      <div id="cart"><p class="needs-js">Loading…</p><noscript><p>“Checkout” shows your account's cart at the store.</p></noscript></div>
      <form method="get" action="/checkout"><button id="checkout" type="submit" aria-describedby="checkout-hint"${state.name === null ? ' disabled' : ''}>Checkout</button></form>
      <p id="checkout-hint" class="hint needs-js">Add a product to your cart to check out.</p>
    </section>
  </div>
</main>
<script src="/jquery.js"></script>
<script>
(function () {
  var sessionTokenURL = ${scriptJSON(sessionTokenURL)};
  var own = ${scriptJSON(state.own)};
  var status = document.getElementById('status');
  function say(text, isError) { status.textContent = text; status.className = isError ? 'error' : ''; }
  /** The shopper-facing sentence of a failed call to this server. */
  function problem(xhr) {
    var body = xhr.responseJSON;
    if (body && typeof body.error === 'string') return body.error;
    return xhr.status === 0 ? 'This shop could not be reached. Check your connection and try again.' : 'Something went wrong (' + xhr.status + '). Reload the page and try again.';
  }

  function renderCart(cart) {
    var box = document.getElementById('cart');
    var lines = cart && cart.lines ? cart.lines : [];
    box.textContent = '';
    if (lines.length === 0) { var p = document.createElement('p'); p.textContent = 'Empty.'; box.appendChild(p); }
    else {
      var table = document.createElement('table');
      lines.forEach(function (l) {
        var tr = table.insertRow();
        tr.insertCell().textContent = l.quantity + ' × ' + l.name;
        var c = tr.insertCell(); c.className = 'n'; c.textContent = l.total;
      });
      var t = table.insertRow(); t.className = 'total';
      t.insertCell().textContent = 'Subtotal';
      var c2 = t.insertCell(); c2.className = 'n'; c2.textContent = cart.subtotal;
      box.appendChild(table);
    }
    document.getElementById('checkout').disabled = lines.length === 0;
    document.getElementById('checkout-hint').hidden = lines.length !== 0;
  }

  function renderProducts(products) {
    var ul = document.getElementById('products');
    ul.textContent = '';
    products.forEach(function (p) {
      var li = document.createElement('li'); li.className = 'product';
      var name = document.createElement('span'); name.textContent = p.name;
      var price = document.createElement('span'); price.className = 'price'; price.textContent = p.price;
      name.appendChild(price);
      var b = document.createElement('button'); b.type = 'button'; b.textContent = 'Add to cart';
      b.setAttribute('aria-label', 'Add ' + p.name + ' to cart');
      // Busy is shown with aria-disabled, not the disabled property: disabling the focused
      // button would drop keyboard focus to <body>.
      b.addEventListener('click', function () {
        if (b.getAttribute('aria-disabled') === 'true') return;
        b.setAttribute('aria-disabled', 'true');
        say('Adding ' + p.name + '…');
        $.ajax({ url: '/api/cart', method: 'POST', contentType: 'application/json', dataType: 'json',
          data: JSON.stringify({ productId: p.id, quantity: 1 }) })
          .done(function (res) {
            renderCart(res.cart);
            say('Added ' + p.name + '. Your cart: ' + res.cart.count + (res.cart.count === 1 ? ' item, ' : ' items, ') + res.cart.subtotal + '.');
          })
          .fail(function (xhr) { say('Could not add ' + p.name + ' to your cart. ' + problem(xhr), true); })
          .always(function () { b.removeAttribute('aria-disabled'); });
      });
      li.appendChild(name); li.appendChild(b); ul.appendChild(li);
    });
    if (products.length === 0) { var li = document.createElement('li'); li.textContent = 'Nothing is on sale right now.'; ul.appendChild(li); }
  }

  function loadCart() { $.getJSON('/api/cart').done(function (res) { renderCart(res.cart); }); }

  // The store's webhooks, as this shop's server kept them: an order placed, a cart changed on the
  // hosted pages (another tab): the cart is read again.
  var cartVersion = null;
  function pollEvents() {
    $.getJSON('/api/events').done(function (res) {
      if (cartVersion !== null && res.cartVersion > cartVersion) loadCart();
      cartVersion = res.cartVersion;
      var last = res.orders[res.orders.length - 1];
      if (last) document.getElementById('events').textContent = 'Order placed: ' + last.id + ' (' + last.total + '), confirmed by the store.';
    });
  }

  function loadShop() {
    $.getJSON('/api/products').done(function (res) { renderProducts(res.products); })
      .fail(function (xhr) { say('Could not load the products. ' + problem(xhr), true); });
    loadCart();
    pollEvents();
    setInterval(pollEvents, 2000);
  }

  if (own) { loadShop(); return; }
  // The Digital River docs' call, unchanged: the store answers with the shopper's session token.
  $.ajax({
    url: sessionTokenURL,
    dataType: "jsonp",
    success: function (data) {
      $.ajax({ url: '/api/session', method: 'POST', contentType: 'application/json', dataType: 'json',
        data: JSON.stringify({ session_token: data.session_token }) })
        .done(function () { if (status.className === 'needs-js') say('Connected: your store session is shared with this shop.'); loadShop(); })
        .fail(function (xhr) { say('Could not connect to the store. ' + problem(xhr), true); });
    },
    error: function () { say('Could not reach the store at ' + sessionTokenURL + '. Check your connection and reload the page.', true); }
  });
})();
</script>
</body>
</html>
`;
}

/** A short HTML page for a refused form post. */
function refusalPage(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHTML(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem"><h1>${escapeHTML(title)}</h1><p>${escapeHTML(text)}</p><p><a href="/">Back to the shop</a></p></body></html>`;
}

export async function startStorefront(options: StorefrontOptions): Promise<FastifyInstance> {
  const require = createRequire(import.meta.url);
  const jquery = readFileSync(require.resolve('jquery/dist/jquery.min.js'));
  const client = new SessionlinkClient({ baseURL: options.apiURL, clientId: options.appKey, clientSecret: options.appSecret, webhookSecret: options.webhookSecret });
  const store = options.storeURL.replace(/\/$/, '');
  /** storefront cookie → the shopper's session (its tokens refresh themselves and never leave this server). */
  const shoppers = new Map<string, Shopper>();
  const flashes = new Map<string, Flash>();
  const MAX_SESSIONS = 10_000;
  /** Keys the CSRF tokens of the sign-in and sign-out forms (per process: a restart forgets the sessions anyway). */
  const csrfKey = randomBytes(32);
  /** The last locale a session reported, for the no-JavaScript link to the hosted cart. */
  let siteLocale = FALLBACK_LOCALE;

  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  function sessionOf(request: FastifyRequest): string | null {
    const sid = readCookie(request, COOKIE);
    return sid !== null && /^[0-9a-f]{48}$/.test(sid) ? sid : null;
  }

  /** A new storefront cookie for this browser. */
  function newSid(reply: FastifyReply): string {
    const sid = randomBytes(24).toString('hex');
    reply.header('set-cookie', `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    return sid;
  }

  /** This browser's storefront cookie, set now when it has none. */
  function ensureSid(request: FastifyRequest, reply: FastifyReply): string {
    return sessionOf(request) ?? newSid(reply);
  }

  function bounded<T>(map: Map<string, T>, sid: string, value: T): void {
    map.delete(sid);
    if (map.size >= MAX_SESSIONS) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(sid, value);
  }

  function csrfOf(sid: string): string {
    return createHmac('sha256', csrfKey).update(`storefront-form:${sid}`).digest('hex');
  }

  /**
   * A form post of this page: the storefront cookie, its CSRF token, and no sign of another origin
   * (Sec-Fetch-Site, or an Origin header naming another host). The cookie is SameSite=Lax as well.
   */
  function formSid(request: FastifyRequest): string | null {
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite !== undefined && fetchSite !== 'same-origin') return null;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      if (host === null || host !== request.headers.host) return null;
    }
    const sid = sessionOf(request);
    const given = (request.body as Record<string, unknown> | null)?.csrf;
    if (sid === null || typeof given !== 'string') return null;
    const expected = Buffer.from(csrfOf(sid));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected) ? sid : null;
  }

  function refuseForm(reply: FastifyReply): FastifyReply {
    return reply.code(403).type('text/html; charset=utf-8').send(refusalPage('Form expired',
      'This form has expired or did not come from this shop, so nothing was changed. Go back to the shop, reload the page and try again.'));
  }

  function shopperOf(request: FastifyRequest, reply: FastifyReply): { sid: string; shopper: Shopper } | null {
    const sid = sessionOf(request);
    const shopper = sid === null ? undefined : shoppers.get(sid);
    if (sid === null || shopper === undefined) {
      void reply.code(401).send({ error: 'This shop lost track of your visit. Reload the page to connect to the store again.' });
      return null;
    }
    return { sid, shopper };
  }

  /**
   * The session's locale, from token info: it answers any live token, where the profile refuses a
   * limited token on a signed-in session (a browser that signed in at the store).
   */
  async function localeOf(shopper: Shopper): Promise<string> {
    if (shopper.locale === null) {
      const info = await shopper.session.tokenInfo();
      shopper.locale = LOCALE.test(info.locale) ? info.locale : FALLBACK_LOCALE;
      siteLocale = shopper.locale;
    }
    return shopper.locale;
  }

  async function cartView(shopper: Shopper, cart: Cart): Promise<Record<string, unknown>> {
    const locale = await localeOf(shopper);
    const lines = list(cart.lineItems?.lineItem).map((l) => ({
      name: l.product.displayName, quantity: Number(l.quantity), total: formatMoney(locale, l.pricing.salePriceWithQuantity)
    }));
    return { lines, count: lines.reduce((n, l) => n + l.quantity, 0), subtotal: formatMoney(locale, cart.pricing.subtotal) };
  }

  async function productsView(shopper: Shopper, products: ProductList): Promise<Array<Record<string, unknown>>> {
    const locale = await localeOf(shopper);
    return list(products.product).map((p) => ({ id: p.id, name: p.displayName, price: formatMoney(locale, p.pricing.listPrice) }));
  }

  /** Runs an API call for the page: what it shows, or a sentence for the shopper (never the API's tokens). */
  async function relay(reply: FastifyReply, sid: string, call: () => Promise<Record<string, unknown>>): Promise<FastifyReply> {
    try {
      return await reply.send(await call());
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      const dead = err.status === 401 || err.isInvalidGrant;
      // A dead session is forgotten, so the next page load joins the browser's store session afresh.
      if (dead) shoppers.delete(sid);
      const status = dead ? 401 : err.status >= 400 && err.status < 500 ? err.status : 502;
      if (err.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(err.retryAfter)));
      return await reply.code(status).send({ error: shopperMessage(err), code: err.code, description: err.description });
    }
  }

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });

  const roundTrip = roundTripRoutes(app, {
    client, returnURL: options.returnURL, sessionOf, newSid, refusalPage,
    sessionFor: (sid) => shoppers.get(sid)?.session,
    formatMoney: (money) => formatMoney(siteLocale, money),
    adopt(request, reply, session, name, locale) {
      // The session the shopper came back with replaces whatever this cookie held (its tokens
      // may have died with a sign-in on the hosted pages), under a new cookie, as at sign-in.
      const old = sessionOf(request);
      if (old !== null) shoppers.delete(old);
      const sid = newSid(reply);
      bounded(shoppers, sid, { session, own: true, name, locale: locale !== null && LOCALE.test(locale) ? locale : null });
      return sid;
    }
  });

  app.get('/', async (request, reply) => {
    const sid = ensureSid(request, reply);
    const shopper = shoppers.get(sid);
    const flash = flashes.get(sid) ?? null;
    flashes.delete(sid);
    const hostedCartURL = `${store}/store/${encodeURIComponent(options.siteId)}/${encodeURIComponent(shopper?.locale ?? siteLocale)}/${CART_PAGE}`;
    return reply.type('text/html; charset=utf-8').send(page(options, {
      csrf: csrfOf(sid), own: shopper?.own ?? false, name: shopper?.name ?? null, flash, hostedCartURL, order: roundTrip.placedOrder(sid)
    }));
  });
  faviconRoute(app);
  app.get('/jquery.js', async (_request, reply) => reply.type('application/javascript; charset=utf-8').send(jquery));

  app.post('/api/session', async (request, reply) => {
    const sessionToken = (request.body as { session_token?: unknown } | null)?.session_token;
    if (typeof sessionToken !== 'string' || !/^[0-9A-Fa-f]{16,128}$/.test(sessionToken)) {
      return reply.code(400).send({ error: 'The store sent no session token. Reload the page to try again.' });
    }
    const existing = sessionOf(request);
    const held = existing === null ? undefined : shoppers.get(existing);
    if (held?.own === true) {
      // A sign-in (or the guest session after sign-out) is never swapped for whatever session the
      // browser's store cookie names: after a sign-in that cookie is dead, and the browser follows
      // this server's session at checkout.
      return reply.send({ ok: true });
    }
    let session: ShopperSession;
    try {
      session = await client.startSession({ type: 'session_token', sessionToken });
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      return reply.code(502).send({ error: shopperMessage(err), code: err.code, description: err.description });
    }
    const sid = ensureSid(request, reply);
    bounded(shoppers, sid, { session, own: false, name: null, locale: null });
    return reply.send({ ok: true });
  });

  app.get('/api/products', async (request, reply) => {
    const found = shopperOf(request, reply);
    if (found === null) return reply;
    return await relay(reply, found.sid, async () => ({ products: await productsView(found.shopper, await found.shopper.session.products()) }));
  });

  app.get('/api/cart', async (request, reply) => {
    const found = shopperOf(request, reply);
    if (found === null) return reply;
    return await relay(reply, found.sid, async () => ({ cart: await cartView(found.shopper, await found.shopper.session.cart()) }));
  });

  app.post('/api/cart', async (request, reply) => {
    const found = shopperOf(request, reply);
    if (found === null) return reply;
    const body = request.body as { productId?: unknown; quantity?: unknown } | null;
    const productId = body?.productId;
    const quantity = body?.quantity ?? 1;
    if (typeof productId !== 'string' || productId.length > 64 || !Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 99) {
      return reply.code(400).send({ error: 'This shop adds 1 to 99 of a product at a time. Reload the page and try again.' });
    }
    return await relay(reply, found.sid, async () => ({ cart: await cartView(found.shopper, await found.shopper.session.addToCart(productId, quantity as number)) }));
  });

  app.post('/login', async (request, reply) => {
    const sid = formSid(request);
    if (sid === null) return refuseForm(reply);
    const form = request.body as Record<string, unknown>;
    const username = typeof form.username === 'string' ? form.username.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const held = shoppers.get(sid);
    if (held?.name != null) {
      bounded(flashes, sid, { text: `You are already signed in as ${held.name}. Sign out first to use another account.`, error: true });
      return reply.redirect('/', 303);
    }
    if (username === '' || password === '' || username.length > 200 || password.length > 200) {
      bounded(flashes, sid, { text: 'Enter your username and your password.', error: true, username: username.slice(0, 200) });
      return reply.redirect('/', 303);
    }
    // The cart to carry: the limited token this server holds on the browser's session.
    const limitedToken = held === undefined ? undefined : held.session.tokens.accessToken;
    let tokens: TokenResponse;
    try {
      try {
        tokens = await client.passwordToken({ username, password, limitedToken });
      } catch (err) {
        // The anonymous session ended meanwhile: nothing left to carry, sign in on a new one.
        if (!(err instanceof SessionlinkError && err.code === 'dr_limited_token_invalid')) throw err;
        tokens = await client.passwordToken({ username, password });
      }
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      bounded(flashes, sid, { text: loginMessage(err), error: true, username });
      return reply.redirect('/', 303);
    }
    const session = client.session(tokens, { kind: 'full' });
    const shopper: Shopper = { session, own: true, name: username, locale: null };
    try {
      const me = await session.me();
      shopper.name = me.firstName.trim() !== '' ? me.firstName.trim() : me.username;
      shopper.locale = LOCALE.test(me.locale) ? me.locale : null;
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
    }
    // The old limited pair died with the re-keying; the full pair replaces it, under a new
    // storefront cookie (as the store re-keys its own), so a cookie planted before the sign-in
    // never names the signed-in shopper.
    shoppers.delete(sid);
    const signedIn = newSid(reply);
    bounded(shoppers, signedIn, shopper);
    bounded(flashes, signedIn, { text: `Signed in as ${shopper.name}.${held === undefined ? '' : ' Your cart came with you.'}`, error: false });
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const sid = formSid(request);
    if (sid === null) return refuseForm(reply);
    const held = shoppers.get(sid);
    shoppers.delete(sid);
    flashes.delete(sid);
    // Forget the full token: revoke it (the shopper's saved cart stays with the account).
    if (held !== undefined) await held.session.logout().catch(() => undefined);
    const guest = newSid(reply);
    try {
      const session = await client.startSession({ type: 'anonymous' });
      bounded(shoppers, guest, { session, own: true, name: null, locale: null });
      bounded(flashes, guest, { text: 'Signed out. You are shopping as a guest now, with a new, empty cart.', error: false });
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      bounded(flashes, guest, { text: 'Signed out.', error: false });
    }
    return reply.redirect('/', 303);
  });

  app.get('/checkout', async (request, reply) => {
    const sid = sessionOf(request);
    const shopper = sid === null ? undefined : shoppers.get(sid);
    if (shopper === undefined) return reply.redirect('/');
    let location: string | null = null;
    let problem = '';
    try {
      location = await shopper.session.webCheckout({ returnUrl: options.returnURL });
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      problem = shopperMessage(err);
    }
    if (location === null || !/^https?:\/\//i.test(location)) {
      return reply.code(502).type('text/html; charset=utf-8')
        .send(refusalPage('Checkout unavailable', `The store could not start checkout. ${problem}`));
    }
    return reply.redirect(location, 302);
  });

  await app.listen({ port: options.port, host: options.host });
  return app;
}
