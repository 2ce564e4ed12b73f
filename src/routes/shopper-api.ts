import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Ctx } from '../domain/context.js';
import {
  addProduct, addProducts, createHandoff, getActiveCart, getOrder, listOrders, parseQuantity, parseVersion,
  removeLines, submitCart, updateLine, type CartView, type OrderRow
} from '../domain/cart.js';
import { touchSession, type Session } from '../domain/sessions.js';
import { allowedOriginsOf, getApiKey, getSite, type Site } from '../domain/sites.js';
import { validateAccessToken, type AccessTokenRow } from '../domain/tokens.js';
import { Forbidden, InvalidToken, NotFound, ShopperInvalidRequest } from '../errors.js';
import { bearerToken, requireBearerToken } from '../http/bearer.js';
import { noteCorsSite } from '../http/cors.js';
import { param, readParams, wrappedBody, type Params } from '../http/params.js';
import { sendDocument, shopperFormat } from '../http/render.js';
import { hashPassword } from '../crypto.js';
import { acceptablePassword, checkUsername, takenConflict, takenField } from '../domain/registration.js';
import { findProduct, listProducts } from '../domain/catalogue.js';
import { saveProfile, shopperProfile, type ShopperChanges } from '../domain/shoppers.js';

/**
 * The line items of a Global Commerce body (`{"cart":{"lineItems":{"lineItem":[{"quantity":"1","product":{"id":"1001"}}]}}}`
 * on POST …/carts/active and …/web-checkout, `{"lineItems":{"lineItem":…}}` on POST …/line-items), or
 * null when the body names none. Read after authentication, so a bad token still answers 401 first.
 */
function bodyItems(request: FastifyRequest, wrapper: 'cart' | 'lineItems'): Array<{ productId: string; quantity: number }> | null {
  const inner = wrappedBody(request, wrapper);
  if (inner === null) return null;
  return cartItems(wrapper === 'cart' ? inner : { lineItems: inner });
}

function hasBodyKey(request: FastifyRequest, key: string): boolean {
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
    const q = item?.quantity;
    return { productId: String(id), quantity: parseQuantity(q === undefined ? undefined : String(q), 1) };
  });
  return items;
}

interface Caller {
  token: AccessTokenRow;
  session: Session;
  site: Site;
  params: Params;
}

const LOCALE = /^[a-z]{2}(_[A-Z]{2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** The caller's token and session; an `apiKey` of another site than the token's → 403. */
async function authenticate(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, params: Params, check?: (site: Site) => void): Promise<Caller> {
  const raw = requireBearerToken(request, params);
  const { token, session: found } = await validateAccessToken(ctx, raw);
  const site = await getSite(ctx, found.site_id);
  if (site === null) {
    throw new InvalidToken('unknown');
  }
  noteCorsSite(request, site.id);
  // A refusal that depends on the site comes before anything is counted or touched.
  check?.(site);
  // Per-key request quota (429 beyond it): counted in memory, no I/O.
  request.server.budgets.chargeKey(reply, site, token.api_key);
  // API use counts as use of the session (the TTL rule's idle limit), as the browser's does.
  const session = await touchSession(ctx, site, found, request.ip);
  const keyName = param(params, 'client_id');
  if (keyName !== undefined) {
    const key = await getApiKey(ctx, keyName);
    if (key === null || key.site_id !== site.id) {
      throw new Forbidden('The token belongs to another site');
    }
  }
  return { token, session, site, params };
}

function requireFull(caller: Caller): void {
  if (caller.token.kind !== 'full') {
    throw new Forbidden('This resource needs a full token (an authenticated shopper)');
  }
}

/**
 * A limited token never exercises a signed-in shopper's authority: on an authenticated session
 * (the site action or a session-token exchange hands browsers one) it reaches the cart, never the
 * shopper's profile or their ordering. On an anonymous session it keeps the guest's rights.
 */
function isLimitedOnSignedIn(caller: Caller): boolean {
  return caller.token.kind !== 'full' && caller.session.shopper_id !== null;
}

function requireShopperAuthority(caller: Caller): void {
  if (isLimitedOnSignedIn(caller)) {
    throw new Forbidden("A limited token cannot act for the signed-in shopper; this needs the app's full token");
  }
}

/**
 * A web-checkout POST moves the browser that sends it onto the token's session. For a site that
 * lists `allowedOrigins`, a browser POST from any other page (its `Origin` is present and not
 * listed; `null` from sandboxed frames, data: URLs and no-referrer pages included) is refused, so
 * no page elsewhere can move a shopper's browser onto the attacker's session. No `Origin` (a
 * server, an old browser's same-origin form) passes, as does `"*"` in the list.
 */
function checkPostOrigin(request: FastifyRequest, site: Site): void {
  const allowed = allowedOriginsOf(site);
  if (allowed === null || allowed.includes('*')) return;
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (typeof origin === 'string' && allowed.includes(origin)) return;
  throw new Forbidden('This page may not start a web checkout for this store');
}

/** `path` and `path.json` (and `.xml`), one handler. */
function both(path: string): string[] {
  return [path, `${path}.json`, `${path}.xml`];
}

function money(currency: string, value: string): Record<string, string> {
  return { currency, value };
}

export function shopperApiRoutes(app: FastifyInstance, ctx: Ctx, config: Config): void {
  const api = config.publicApiURL.replace(/\/$/, '');
  const me = `${api}/v1/shoppers/me`;

  function cartDocument(view: CartView): Record<string, unknown> {
    return {
      cart: {
        id: view.id,
        uri: `${me}/carts/active`,
        version: view.version,
        lineItems: {
          uri: `${me}/carts/active/line-items`,
          lineItem: view.lines.map((l) => lineDocument(view, l.id))
        },
        totalItemsInCart: view.itemCount,
        pricing: { subtotal: money(view.currency, view.subtotal), orderTotal: money(view.currency, view.subtotal) },
        webCheckout: { uri: `${me}/carts/active/web-checkout` }
      }
    };
  }

  function lineDocument(view: CartView, lineItemId: string): Record<string, unknown> {
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

  function orderDocument(order: OrderRow): Record<string, unknown> {
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

  async function shopperDocument(session: Session): Promise<Record<string, unknown>> {
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

  function send(request: FastifyRequest, reply: FastifyReply, params: Params, document: Record<string, unknown>, status = 200): FastifyReply {
    reply.header('cache-control', 'no-store');
    return sendDocument(reply, document, shopperFormat(request, params), status);
  }

  function sendCart(request: FastifyRequest, reply: FastifyReply, params: Params, view: CartView): FastifyReply {
    reply.header('etag', `"${view.version}"`);
    return send(request, reply, params, cartDocument(view));
  }

  function expectedVersion(request: FastifyRequest, params: Params): number | null {
    const fromParam = parseVersion(param(params, 'version'));
    if (fromParam !== null) return fromParam;
    const ifMatch = request.headers['if-match'];
    return parseVersion(typeof ifMatch === 'string' ? ifMatch : undefined);
  }

  /**
   * Applies productId/quantity or a cart body when given; returns the cart. With `required`
   * (POST …/carts/active), a request that asks for no change is a 400 saying what to send.
   */
  async function applyCartBody(caller: Caller, request: FastifyRequest, required = false): Promise<CartView> {
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

  type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
  /** Registers a Shopper API route, with `.json`/`.xml` suffixes when the path ends in a literal. */
  function route(options: { method: string | string[]; url: string; handler: Handler }): void {
    const urls = options.url.includes('/:') ? [options.url] : both(options.url);
    for (const url of urls) {
      app.route({ method: options.method as never, url, config: { surface: 'shopper' }, handler: options.handler });
    }
  }

  // Shopper profile.
  route({
    method: ['GET', 'POST'], url: '/v1/shoppers/me',
    handler: async (request, reply) => {
      const params = readParams(request, 'shopper');
      const caller = await authenticate(ctx, request, reply, params);
      requireShopperAuthority(caller);
      let session = caller.session;
      if (request.method === 'POST') {
        const profileFields = ['firstName', 'lastName', 'emailAddress', 'username', 'password', 'externalReferenceId'];
        const touched = profileFields.filter((f) => params.has(f));
        if (touched.length > 0 && caller.token.kind !== 'full') {
          throw new Forbidden('A limited token may change only locale, currency and ipAddress');
        }
        const locale = param(params, 'locale');
        const currency = param(params, 'currency');
        const ip = param(params, 'ipAddress');
        if (locale !== undefined && !LOCALE.test(locale)) throw new ShopperInvalidRequest('locale must look like en_US');
        if (currency !== undefined && !CURRENCY.test(currency)) throw new ShopperInvalidRequest('currency must be an ISO 4217 code such as USD');
        if (ip !== undefined && (ip.length > 45 || !/^[0-9A-Fa-f.:]+$/.test(ip))) throw new ShopperInvalidRequest('ipAddress must be an IP address');
        const changes = { locale: locale ?? session.locale, currency: currency ?? session.currency, ip: ip ?? session.ip };
        // A full token may change the login too (Digital River's plugin sends {"shopper":{"password":"<base64>"}}).
        const credentials: ShopperChanges = {};
        const newUsername = param(params, 'username');
        const newPassword = param(params, 'password');
        if (session.shopper_id !== null && newUsername !== undefined) {
          credentials.username = checkUsername(newUsername);
          if (await takenField(ctx, caller.site.id, { username: credentials.username }, session.shopper_id) !== null) throw takenConflict('username');
        }
        if (session.shopper_id !== null && newPassword !== undefined) {
          credentials.password_hash = await hashPassword(acceptablePassword(newPassword));
        }
        let shopper: { id: string; changes: ShopperChanges } | null = null;
        if (session.shopper_id !== null && touched.length > 0) {
          const set: ShopperChanges = {};
          const first = param(params, 'firstName');
          const last = param(params, 'lastName');
          const email = param(params, 'emailAddress');
          if (first !== undefined) set.first_name = first.slice(0, 100);
          if (last !== undefined) set.last_name = last.slice(0, 100);
          if (email !== undefined) {
            if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) throw new ShopperInvalidRequest('emailAddress is not an e-mail address');
            set.email = email;
          }
          shopper = { id: session.shopper_id, changes: { ...set, ...credentials } };
        }
        await saveProfile(ctx, session.id, changes, shopper);
        session = { ...session, ...changes };
      }
      return send(request, reply, params, await shopperDocument(session));
    }
  });

  // Catalogue: a token, or a public apiKey alone.
  async function catalogueSite(request: FastifyRequest, reply: FastifyReply, params: Params): Promise<Site> {
    const raw = bearerToken(request, params);
    if (raw === null) {
      const keyName = param(params, 'client_id');
      const key = keyName === undefined ? null : await getApiKey(ctx, keyName);
      if (key === null || key.type !== 'public') {
        // No key either: say what to send (as the other routes do); a wrong key is an unknown token.
        if (keyName === undefined) requireBearerToken(request, params);
        throw new InvalidToken('unknown');
      }
      const site = await getSite(ctx, key.site_id);
      if (site === null) throw new InvalidToken('unknown');
      noteCorsSite(request, site.id);
      request.server.budgets.chargeKey(reply, site, key.key);
      return site;
    }
    return (await authenticate(ctx, request, reply, params)).site;
  }
  function productDocument(site: Site, p: { id: string; name: string; price: string }): Record<string, unknown> {
    return {
      id: p.id, uri: `${me}/products/${encodeURIComponent(p.id)}`, displayName: p.name, name: p.name,
      pricing: { listPrice: money(site.currency, p.price) },
      addProductToCart: { uri: `${me}/carts/active/line-items?productId=${encodeURIComponent(p.id)}` }
    };
  }
  route({
    method: 'GET', url: '/v1/shoppers/me/products',
    handler: async (request, reply) => {
      const params = readParams(request);
      const site = await catalogueSite(request, reply, params);
      const products = await listProducts(ctx, site.id);
      return send(request, reply, params, { products: { uri: `${me}/products`, product: products.map((p) => productDocument(site, p)), totalResults: products.length } });
    }
  });
  route({
    method: 'GET', url: '/v1/shoppers/me/products/:productId',
    handler: async (request, reply) => {
      const params = readParams(request);
      const site = await catalogueSite(request, reply, params);
      const id = (request.params as { productId: string }).productId.replace(/\.(json|xml)$/i, '');
      const product = await findProduct(ctx, site.id, id);
      if (product === null) throw new NotFound(`Product "${id.slice(0, 64)}" not found`);
      return send(request, reply, params, { product: productDocument(site, product) });
    }
  });

  // The active cart.
  route({
    method: ['GET', 'POST'], url: '/v1/shoppers/me/carts/active',
    handler: async (request, reply) => {
      const params = readParams(request, 'cart');
      const caller = await authenticate(ctx, request, reply, params);
      const view = request.method === 'POST' ? await applyCartBody(caller, request, true) : (await getActiveCart(ctx, caller.session)).view;
      return sendCart(request, reply, params, view);
    }
  });

  route({
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
      const doc = cartDocument(view).cart as Record<string, unknown>;
      reply.header('etag', `"${view.version}"`);
      return send(request, reply, params, { lineItems: doc.lineItems });
    }
  });

  route({
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
      return send(request, reply, params, { lineItem: lineDocument(view, id) });
    }
  });

  route({
    method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart',
    handler: async (request, reply) => {
      // {"cart":{"termsOfSalesAcceptance":"true","ipAddress":"…"}} as Digital River documents it.
      const params = readParams(request, 'cart');
      const caller = await authenticate(ctx, request, reply, params);
      requireShopperAuthority(caller);
      const order = await submitCart(ctx, caller.session, { channel: 'api' }, expectedVersion(request, params));
      return send(request, reply, params, { submitCart: { order: orderDocument(order) } });
    }
  });

  route({
    method: 'GET', url: '/v1/shoppers/me/orders',
    handler: async (request, reply) => {
      const params = readParams(request);
      const caller = await authenticate(ctx, request, reply, params);
      requireFull(caller);
      const orders = await listOrders(ctx, caller.session);
      return send(request, reply, params, { orders: { uri: `${me}/orders`, order: orders.map(orderDocument), totalResults: orders.length } });
    }
  });
  route({
    method: 'GET', url: '/v1/shoppers/me/orders/:orderId',
    handler: async (request, reply) => {
      const params = readParams(request);
      const caller = await authenticate(ctx, request, reply, params);
      requireFull(caller);
      const id = (request.params as { orderId: string }).orderId.replace(/\.(json|xml)$/i, '');
      return send(request, reply, params, { order: orderDocument(await getOrder(ctx, caller.session, id)) });
    }
  });

  // Web checkout: a handoff code in a top-level navigation to the hosted cart page.
  route({
    method: ['GET', 'POST'], url: '/v1/shoppers/me/carts/active/web-checkout',
    handler: async (request, reply) => {
      const params = readParams(request, 'cart');
      const caller = await authenticate(ctx, request, reply, params, request.method === 'POST' ? (site) => checkPostOrigin(request, site) : undefined);
      if (request.method === 'POST') {
        await applyCartBody(caller, request);
      }
      const store = config.publicStoreURL.replace(/\/$/, '');
      const locale = LOCALE.test(caller.session.locale) ? caller.session.locale : caller.site.locale;
      const page = `${store}/store/${encodeURIComponent(caller.site.id)}/${encodeURIComponent(locale)}/DisplayThreePgCheckoutShoppingCartPage`;
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      if (isLimitedOnSignedIn(caller)) {
        // A handoff would put whichever browser follows it on the signed-in session, where the
        // hosted pages order in the shopper's name: a limited token cannot confer that. The
        // browser that is already on this session (its cookie) sees it at the plain page URL.
        return reply.redirect(page, 302);
      }
      const code = await createHandoff(ctx, caller.session);
      return reply.redirect(`${page}?handoff=${code}`, 302);
    }
  });
}
