/**
 * A demo third-party storefront: a page on its own origin that does the documented Sessionlink flow.
 *
 * 1. The page asks the store for the shopper's session token with jQuery JSONP (the docs' exact call).
 * 2. It posts that token to this server (`/api/session`), which exchanges it for an access token with
 *    the confidential key, through the typed client (`src/client/`). The token pair stays here, keyed
 *    by this storefront's own cookie, and refreshes itself.
 * 3. Products and cart go page → this server → Shopper API (the client's ShopperSession).
 * 4. "Checkout" goes to `/checkout`, which asks the API for web-checkout and redirects the browser to
 *    the hosted cart page with the handoff code.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SessionlinkClient, SessionlinkError, type ShopperSession } from '../../src/client/index.js';
import { faviconRoute } from '../../src/ops/home.js';

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
}

const COOKIE = 'storefront_sid';

export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe to place inside an inline <script>. */
function scriptJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
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

function page(options: StorefrontOptions): string {
  const store = options.storeURL.replace(/\/$/, '');
  const site = encodeURIComponent(options.siteId);
  const sessionTokenURL = `${store}/store/${site}/SessionToken?format=json`;
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
  main { max-width: 960px; margin: 1.5rem auto; padding: 0 1rem; display: grid; grid-template-columns: 2fr 1fr; gap: 1.5rem; }
  @media (max-width: 700px) { main { grid-template-columns: 1fr; } }
  section { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
  ul { list-style: none; margin: 0; padding: 0; }
  .product { display: flex; justify-content: space-between; align-items: center; padding: .6rem 0; border-bottom: 1px solid #eceef2; }
  .product:last-child { border-bottom: 0; }
  .price { color: #5a6475; margin-left: .5rem; }
  button { font: inherit; border: 0; border-radius: 6px; padding: .45rem .9rem; cursor: pointer; background: #2f6fdf; color: #fff; }
  button:disabled { background: #a9b4c6; cursor: default; }
  #checkout { width: 100%; margin-top: 1rem; background: #1f9d55; padding: .65rem; }
  table { width: 100%; border-collapse: collapse; font-size: .95rem; }
  td { padding: .3rem 0; } td.n { text-align: right; }
  .total { font-weight: 600; border-top: 1px solid #dfe3ea; }
  #status { font-size: .85rem; color: #5a6475; margin: 0 0 1rem; grid-column: 1 / -1; }
  #status.error { color: #b42318; }
  code { font-size: .85em; }
</style>
</head>
<body>
<header>
  <h1>Demo storefront</h1>
  <p>A third-party shop for the site <code>${escapeHTML(options.siteId)}</code>, served from its own origin, selling through Sessionlink.</p>
</header>
<main>
  <p id="status" role="status">Connecting to the store…</p>
  <section aria-labelledby="products-h">
    <h2 id="products-h">Products</h2>
    <ul id="products"><li>Loading…</li></ul>
  </section>
  <section aria-labelledby="cart-h">
    <h2 id="cart-h">Your cart</h2>
    <div id="cart"><p>Empty.</p></div>
    <form method="get" action="/checkout"><button id="checkout" type="submit" disabled>Checkout</button></form>
  </section>
</main>
<script src="/jquery.js"></script>
<script>
(function () {
  var sessionTokenURL = ${scriptJSON(sessionTokenURL)};
  var status = document.getElementById('status');
  function say(text, isError) { status.textContent = text; status.className = isError ? 'error' : ''; }
  function money(m) { return m ? m.value + ' ' + m.currency : ''; }
  function list(x) { return x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]; }

  function renderCart(doc) {
    var box = document.getElementById('cart');
    var lines = list(doc && doc.cart && doc.cart.lineItems && doc.cart.lineItems.lineItem);
    box.textContent = '';
    if (lines.length === 0) { var p = document.createElement('p'); p.textContent = 'Empty.'; box.appendChild(p); }
    else {
      var table = document.createElement('table');
      lines.forEach(function (l) {
        var tr = table.insertRow();
        tr.insertCell().textContent = l.quantity + ' × ' + l.product.displayName;
        var c = tr.insertCell(); c.className = 'n'; c.textContent = money(l.pricing && l.pricing.salePriceWithQuantity);
      });
      var t = table.insertRow(); t.className = 'total';
      t.insertCell().textContent = 'Subtotal';
      var c2 = t.insertCell(); c2.className = 'n'; c2.textContent = money(doc.cart.pricing && doc.cart.pricing.subtotal);
      box.appendChild(table);
    }
    document.getElementById('checkout').disabled = lines.length === 0;
  }

  function renderProducts(doc) {
    var ul = document.getElementById('products');
    ul.textContent = '';
    list(doc && doc.products && doc.products.product).forEach(function (p) {
      var li = document.createElement('li'); li.className = 'product';
      var name = document.createElement('span'); name.textContent = p.displayName;
      var price = document.createElement('span'); price.className = 'price'; price.textContent = money(p.pricing && p.pricing.listPrice);
      name.appendChild(price);
      var b = document.createElement('button'); b.type = 'button'; b.textContent = 'Add to cart';
      b.setAttribute('aria-label', 'Add ' + p.displayName + ' to cart');
      b.addEventListener('click', function () {
        b.disabled = true;
        $.ajax({ url: '/api/cart', method: 'POST', contentType: 'application/json', dataType: 'json',
          data: JSON.stringify({ productId: p.id, quantity: 1 }) })
          .done(function (cart) { renderCart(cart); say('Added ' + p.displayName + '.'); })
          .fail(function (xhr) { say('Could not add: ' + xhr.status, true); })
          .always(function () { b.disabled = false; });
      });
      li.appendChild(name); li.appendChild(b); ul.appendChild(li);
    });
  }

  function loadShop() {
    $.getJSON('/api/products').done(renderProducts).fail(function (xhr) { say('Could not load products: ' + xhr.status, true); });
    $.getJSON('/api/cart').done(renderCart);
  }

  // The Digital River docs' call, unchanged: the store answers with the shopper's session token.
  $.ajax({
    url: sessionTokenURL,
    dataType: "jsonp",
    success: function (data) {
      $.ajax({ url: '/api/session', method: 'POST', contentType: 'application/json', dataType: 'json',
        data: JSON.stringify({ session_token: data.session_token }) })
        .done(function () { say('Connected: your store session is shared with this shop.'); loadShop(); })
        .fail(function (xhr) { say('Token exchange failed: ' + xhr.status, true); });
    },
    error: function () { say('Could not reach the store at ' + sessionTokenURL, true); }
  });
})();
</script>
</body>
</html>
`;
}

export async function startStorefront(options: StorefrontOptions): Promise<FastifyInstance> {
  const require = createRequire(import.meta.url);
  const jquery = readFileSync(require.resolve('jquery/dist/jquery.min.js'));
  const html = page(options);
  const client = new SessionlinkClient({ baseURL: options.apiURL, clientId: options.appKey, clientSecret: options.appSecret });
  /** storefront cookie → the shopper's session (its tokens refresh themselves and never leave this server). */
  const sessions = new Map<string, ShopperSession>();
  const MAX_SESSIONS = 10_000;

  const app = Fastify({ logger: false });

  function sessionOf(request: FastifyRequest): string | null {
    const sid = readCookie(request, COOKIE);
    return sid !== null && /^[0-9a-f]{48}$/.test(sid) ? sid : null;
  }

  function shopperOf(request: FastifyRequest, reply: FastifyReply): ShopperSession | null {
    const sid = sessionOf(request);
    const session = sid === null ? undefined : sessions.get(sid);
    if (session === undefined) {
      void reply.code(401).send({ error: 'no session; reload the page' });
      return null;
    }
    return session;
  }

  /** Runs an API call for the page: its document, or a short error (never the API's tokens or bodies). */
  async function relay(reply: FastifyReply, call: () => Promise<Record<string, unknown>>): Promise<FastifyReply> {
    try {
      return await reply.send(await call());
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      const dead = err.status === 401 || err.isInvalidGrant;
      return await reply.code(dead ? 401 : 502).send({ error: `API answered ${err.status}` });
    }
  }

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  faviconRoute(app);
  app.get('/jquery.js', async (_request, reply) => reply.type('application/javascript; charset=utf-8').send(jquery));

  app.post('/api/session', async (request, reply) => {
    const sessionToken = (request.body as { session_token?: unknown } | null)?.session_token;
    if (typeof sessionToken !== 'string' || !/^[0-9A-Fa-f]{16,128}$/.test(sessionToken)) {
      return reply.code(400).send({ error: 'session_token required' });
    }
    let session: ShopperSession;
    try {
      session = await client.startSession({ type: 'session_token', sessionToken });
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      return reply.code(502).send({ error: `token exchange answered ${err.status}` });
    }
    let sid = sessionOf(request);
    if (sid === null) {
      sid = randomBytes(24).toString('hex');
      reply.header('set-cookie', `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    }
    if (!sessions.has(sid) && sessions.size >= MAX_SESSIONS) {
      const oldest = sessions.keys().next().value;
      if (oldest !== undefined) sessions.delete(oldest);
    }
    sessions.set(sid, session);
    return reply.send({ ok: true });
  });

  app.get('/api/products', async (request, reply) => {
    const session = shopperOf(request, reply);
    if (session === null) return reply;
    return await relay(reply, async () => ({ products: await session.products() }));
  });

  app.get('/api/cart', async (request, reply) => {
    const session = shopperOf(request, reply);
    if (session === null) return reply;
    return await relay(reply, async () => ({ cart: await session.cart() }));
  });

  app.post('/api/cart', async (request, reply) => {
    const session = shopperOf(request, reply);
    if (session === null) return reply;
    const body = request.body as { productId?: unknown; quantity?: unknown } | null;
    const productId = body?.productId;
    const quantity = body?.quantity ?? 1;
    if (typeof productId !== 'string' || productId.length > 64 || !Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 99) {
      return reply.code(400).send({ error: 'productId and a quantity of 1-99 required' });
    }
    return await relay(reply, async () => ({ cart: await session.addToCart(productId, quantity as number) }));
  });

  app.get('/checkout', async (request, reply) => {
    const sid = sessionOf(request);
    const session = sid === null ? undefined : sessions.get(sid);
    if (session === undefined) return reply.redirect('/');
    let location: string | null = null;
    let status = 0;
    try {
      location = await session.webCheckout();
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      status = err.status;
    }
    if (location === null || !/^https?:\/\//i.test(location)) {
      return reply.code(502).type('text/html; charset=utf-8')
        .send(`<!doctype html><title>Checkout unavailable</title><p>The store could not start checkout (${escapeHTML(String(status))}). <a href="/">Back to the shop</a></p>`);
    }
    return reply.redirect(location, 302);
  });

  await app.listen({ port: options.port, host: options.host });
  return app;
}
