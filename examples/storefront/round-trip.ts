/**
 * The demo storefront's half of the round trip (issue 16):
 *
 * - `GET /return?order=…&code=…` — where the hosted thank-you page sends the shopper. This server
 *   redeems the code with its confidential key (`grant_type=authorization_code`, Basic), takes the
 *   token pair on the shopper's session as it is now (full when the shopper signed in on the hosted
 *   pages), shows the order, and redirects to the shop page (so a reload never spends the code again).
 * - `POST /webhooks` — Sessionlink's events. The RAW body is verified with `client.webhooks.verify`
 *   (the endpoint's `whsec_` secret), deliveries are deduplicated by `webhook-id` (a retry carries
 *   the same id), and what matters to the page is kept per session: orders placed, the cart version.
 * - `GET /api/events` — the page polls it: "order placed" and a cart refresh after `cart.updated`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SessionlinkError, WebhookError, type Order, type SessionlinkClient, type ShopperSession, type VerifiedWebhookEvent } from '../../src/client/index.js';

/** What the page shows of one order. */
export interface OrderSummary {
  id: string;
  /** Formatted total, e.g. "$27.24"; null when only the id is known. */
  total: string | null;
  items: Array<{ quantity: number; name: string }>;
}

/** What the webhooks told this server about one store session. */
interface SessionEvents {
  cartVersion: number;
  orders: Array<{ id: string; total: string }>;
}

export interface RoundTripDeps {
  client: SessionlinkClient;
  /** The return URL web-checkout was given (or the site's, when this server gives none). */
  returnURL: string | undefined;
  sessionOf(request: FastifyRequest): string | null;
  newSid(reply: FastifyReply): string;
  /** Seats a signed-in or anonymous session on the browser's storefront cookie; answers the cookie. */
  adopt(request: FastifyRequest, reply: FastifyReply, session: ShopperSession, name: string | null, locale: string | null): string;
  /** The session held for a storefront cookie, if any. */
  sessionFor(sid: string): ShopperSession | undefined;
  formatMoney(money: { value: string; currency: string }): string;
  refusalPage(title: string, text: string): string;
}

const MAX_KEPT = 10_000;
const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CODE = /^[0-9a-f]{64}$/;

/** Insertion-ordered, bounded: the oldest entry goes first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  if (map.size >= MAX_KEPT) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

export function summarize(order: Order, formatMoney: RoundTripDeps['formatMoney']): OrderSummary {
  const lines = order.lineItems?.lineItem;
  const items = (Array.isArray(lines) ? lines : lines === undefined ? [] : [lines]).map((l) => ({ quantity: Number(l.quantity), name: l.product.displayName }));
  return { id: order.id, total: formatMoney(order.pricing.orderTotal), items };
}

export function roundTripRoutes(app: FastifyInstance, deps: RoundTripDeps): { placedOrder(sid: string): OrderSummary | null } {
  /** webhook-ids seen, so a retried delivery counts once. */
  const seen = new Map<string, true>();
  const bySession = new Map<string, SessionEvents>();
  /** storefront cookie → the order the shopper came back with (shown once on the page). */
  const placed = new Map<string, OrderSummary>();
  /** storefront cookie → the store session id behind it (token info, asked once). */
  const sessionIds = new Map<string, { session: ShopperSession; id: string }>();

  app.get('/return', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const orderId = query.order;
    const code = query.code;
    if (typeof orderId !== 'string' || !ORDER_ID.test(orderId) || typeof code !== 'string' || !CODE.test(code)) {
      return reply.code(400).type('text/html; charset=utf-8').send(deps.refusalPage('Not a link from the store',
        'This address should carry the order number and the one-time code the store adds after checkout. Go back to the shop; your order, if you placed one, is kept by the store.'));
    }
    // redirect_uri: the return URL as web-checkout used it, without the `order` and `code` the store added.
    const here = new URL(request.url, 'http://placeholder');
    here.searchParams.delete('order');
    here.searchParams.delete('code');
    const redirectUri = deps.returnURL ?? `${request.protocol}://${request.headers.host ?? ''}${here.pathname}${here.search}`;
    let session: ShopperSession;
    try {
      session = deps.client.session(await deps.client.authorizationCodeToken(code, redirectUri), { kind: 'unknown' });
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
      const used = err.isInvalidGrant;
      return reply.code(used ? 400 : 502).type('text/html; charset=utf-8').send(deps.refusalPage(used ? 'This link was used already' : 'The store could not be reached',
        used
          ? `Order ${orderId} was placed, but this one-time link back from the store has been used or is older than a minute. Go back to the shop; your order is kept by the store.`
          : 'The store did not answer. Go back to the shop and reload the page in a moment.'));
    }
    let summary: OrderSummary = { id: orderId, total: null, items: [] };
    let name: string | null = null;
    let locale: string | null = null;
    try {
      // A full token (the shopper signed in on the hosted pages) may read the order and the profile.
      const me = await session.me();
      name = me.firstName.trim() !== '' ? me.firstName.trim() : me.username;
      locale = me.locale;
      summary = summarize(await session.order(orderId), deps.formatMoney);
    } catch (err) {
      if (!(err instanceof SessionlinkError)) throw err;
    }
    const sid = deps.adopt(request, reply, session, name, locale);
    remember(placed, sid, summary);
    return reply.redirect('/', 303);
  });

  app.register(async (scope) => {
    // The signature covers the exact bytes: keep the body raw (no JSON parsing before verifying).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
    scope.post('/webhooks', async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let event: VerifiedWebhookEvent;
      try {
        // Awaited: verify may return the event or a promise of it (it loads `standardwebhooks` lazily).
        event = await deps.client.webhooks.verify(raw, request.headers);
      } catch (err) {
        if (!(err instanceof WebhookError)) throw err;
        return reply.code(err.code === 'no_secret' ? 503 : 400).send({ error: err.message, code: err.code });
      }
      if (seen.has(event.id)) return reply.send({ ok: true, duplicate: true });
      remember(seen, event.id, true);
      const held = bySession.get(event.data.sessionId) ?? { cartVersion: 0, orders: [] };
      if (event.type === 'cart.updated') held.cartVersion = Math.max(held.cartVersion, event.data.version);
      if (event.type === 'order.placed') {
        held.orders.push({ id: event.data.orderId, total: deps.formatMoney({ value: event.data.total, currency: event.data.currency }) });
        held.orders.splice(0, Math.max(0, held.orders.length - 20));
      }
      remember(bySession, event.data.sessionId, held);
      return reply.send({ ok: true });
    });
  });

  app.get('/api/events', async (request, reply) => {
    const sid = deps.sessionOf(request);
    const session = sid === null ? undefined : deps.sessionFor(sid);
    if (sid === null || session === undefined) return reply.send({ cartVersion: 0, orders: [] });
    let known = sessionIds.get(sid);
    if (known === undefined || known.session !== session) {
      try {
        known = { session, id: (await session.tokenInfo()).sessionId };
        remember(sessionIds, sid, known);
      } catch (err) {
        if (!(err instanceof SessionlinkError)) throw err;
        return reply.send({ cartVersion: 0, orders: [] });
      }
    }
    const held = bySession.get(known.id);
    return reply.send({ cartVersion: held?.cartVersion ?? 0, orders: held?.orders ?? [] });
  });

  return {
    placedOrder(sid: string): OrderSummary | null {
      const order = placed.get(sid) ?? null;
      placed.delete(sid);
      return order;
    }
  };
}
