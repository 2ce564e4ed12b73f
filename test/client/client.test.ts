import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SessionlinkClient, SessionlinkError, type ShopperSession, type TokenSet } from '../../src/client/index.js';
import type { Seed } from '../support/seed.js';
import { APP_KEY, APP_SECRET, browserSessionToken, buildTestApp, PUBLIC_KEY, type TestApp, BACKENDS, type Backend } from '../support/helpers.js';

interface Running extends TestApp {
  base: string;
  /** Refresh grants the server received, in order (the refresh tokens presented). */
  refreshes: string[];
  app: TestApp['app'];
  confidential: SessionlinkClient;
  publicClient: SessionlinkClient;
}

/** The real app on a real socket, counting refresh grants as they arrive. */
async function running(t: TestContext, options: { seed?: Seed; backend?: Backend } = {}): Promise<Running> {
  const built = await buildTestApp(t, options);
  const refreshes: string[] = [];
  built.app.addHook('preHandler', async (request) => {
    const body = request.body as { grant_type?: unknown; refresh_token?: unknown } | undefined;
    if (request.url.startsWith('/oauth20/token') && body?.grant_type === 'refresh_token') refreshes.push(String(body.refresh_token));
  });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  const base = `http://127.0.0.1:${address.port}`;
  return {
    ...built, base, refreshes,
    confidential: new SessionlinkClient({ baseURL: base, clientId: APP_KEY, clientSecret: APP_SECRET }),
    publicClient: new SessionlinkClient({ baseURL: base, clientId: PUBLIC_KEY })
  };
}

async function rejectsWith(promise: Promise<unknown>, expected: { status: number; code: string; description?: string | RegExp }): Promise<SessionlinkError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SessionlinkError, `a SessionlinkError, got ${String(err)}`);
    assert.equal(err.status, expected.status, err.message);
    assert.equal(err.code, expected.code, err.message);
    if (typeof expected.description === 'string') assert.equal(err.description, expected.description);
    if (expected.description instanceof RegExp) assert.match(err.description, expected.description);
    return err;
  }
  assert.fail('expected a SessionlinkError');
}

/** An idle site (ttl 1 h, idle 10 min) with a registered shopper, for expiry while the session lives on. */
const IDLE_SEED: Seed = {
  sites: [{
    id: 'idle', name: 'Idle Store', locale: 'en_GB', currency: 'GBP',
    session: { ttlSeconds: 3600, idleSeconds: 600 },
    allowedOrigins: null,
    sessionTokenExchange: 'any',
    apiKeys: [{ key: 'idle-app', type: 'confidential', secret: 'idle-secret-789' }],
    shoppers: [{ username: 'sam', password: 'Battery-Staple-7', firstName: 'Sam', lastName: 'Roe', email: 'sam@example.com' }],
    products: [{ id: 'p1', name: 'Teapot', price: '12.00' }, { id: 'p2', name: 'Cup', price: '3.50' }]
  }]
};

function idleClient(r: Running): SessionlinkClient {
  return new SessionlinkClient({ baseURL: r.base, clientId: 'idle-app', clientSecret: 'idle-secret-789' });
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('every grant of the token endpoint, with Basic and with client_id', async (t) => {
  const r = await running(t, { backend });
  const anonymous = await r.publicClient.anonymousToken();
  assert.equal(anonymous.token_type, 'bearer');
  assert.equal(anonymous.expires_in, 86400, 'the plain RFC 6749 body: expires_in is a number');
  assert.match(anonymous.access_token, /^[0-9a-f]{64,}$/);
  const anonymousInfo = await r.publicClient.tokenInfo(anonymous.access_token);
  assert.equal(anonymousInfo.authenticated, 'false');
  assert.equal(anonymousInfo.userId, 'Anonymous');

  // The browser's session, joined by its session token with either key.
  const browser = await browserSessionToken(r.app);
  const joinedPublic = await r.publicClient.exchangeSessionToken(browser.sessionToken);
  const joined = await r.confidential.exchangeSessionToken(browser.sessionToken);
  const sessionId = (await r.confidential.tokenInfo(joined.access_token)).sessionId;
  assert.equal((await r.publicClient.tokenInfo(joinedPublic.access_token)).sessionId, sessionId);
  assert.notEqual(anonymousInfo.sessionId, sessionId);
  await r.confidential.api(joined.access_token).addToCart('1002', 2);

  const viaShopperToken = await r.publicClient.shopperToken(browser.sessionToken);
  assert.equal(viaShopperToken.expires_in, 86400);
  assert.equal((await r.publicClient.tokenInfo(viaShopperToken.access_token)).sessionId, sessionId);
  const fresh = await r.publicClient.shopperToken();
  assert.notEqual((await r.publicClient.tokenInfo(fresh.access_token)).sessionId, sessionId);
  await rejectsWith(r.confidential.shopperToken(), { status: 401, code: 'invalid_client' });

  // Login on that session: full token, same session, the cart carried.
  const login = await r.confidential.passwordToken({ username: 'jane', password: 'Correct-Horse-9', sessionToken: browser.sessionToken });
  const loginInfo = await r.confidential.tokenInfo(login.access_token);
  assert.equal(loginInfo.authenticated, 'true');
  assert.notEqual(loginInfo.userId, 'Anonymous');
  assert.equal(loginInfo.sessionId, sessionId);
  const janeCart = await r.confidential.api(login.access_token).cart();
  assert.deepEqual(janeCart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]), [['1002', 2]]);
  await rejectsWith(r.confidential.tokenInfo(joined.access_token), { status: 401, code: 'invalid_token', description: 'Session re-keyed at login' });

  // Login carrying a limited token's session.
  const guest = await r.confidential.guestToken();
  const guestInfo = await r.confidential.tokenInfo(guest.access_token);
  assert.equal(guestInfo.authenticated, 'false');
  await r.confidential.api(guest.access_token).addToCart('1003', 1);
  const external = await r.confidential.externalShopperToken({ externalReferenceId: 'crm-42', limitedToken: guest.access_token });
  const externalInfo = await r.confidential.tokenInfo(external.access_token);
  assert.equal(externalInfo.externalReferenceId, 'crm-42');
  assert.equal(externalInfo.sessionId, guestInfo.sessionId);
  assert.equal((await r.confidential.api(external.access_token).cart()).totalItemsInCart, 1);
  const viaLimited = await r.confidential.passwordToken({ username: 'jane', password: 'Correct-Horse-9', limitedToken: anonymous.access_token });
  assert.equal((await r.confidential.tokenInfo(viaLimited.access_token)).sessionId, anonymousInfo.sessionId);

  // Refresh: a new pair on the same session; the old refresh token is spent.
  const refreshed = await r.confidential.refreshToken(external.refresh_token);
  assert.notEqual(refreshed.access_token, external.access_token);
  assert.equal((await r.confidential.tokenInfo(refreshed.access_token)).sessionId, guestInfo.sessionId);
  assert.deepEqual(r.refreshes, [external.refresh_token]);

  // Grants the contract keeps from public keys.
  await rejectsWith(r.publicClient.passwordToken({ username: 'jane', password: 'Correct-Horse-9' }), { status: 400, code: 'unauthorized_client' });
  await rejectsWith(r.publicClient.guestToken(), { status: 400, code: 'unauthorized_client' });
  const wrongSecret = new SessionlinkClient({ baseURL: r.base, clientId: APP_KEY, clientSecret: 'nope' });
  await rejectsWith(wrongSecret.anonymousToken(), { status: 401, code: 'invalid_client', description: 'Unknown API key or wrong client secret' });
  await rejectsWith(r.confidential.exchangeSessionToken('0'.repeat(32)), { status: 400, code: 'invalid_grant' });
  await rejectsWith(r.confidential.externalShopperToken({ externalReferenceId: 'x', limitedToken: 'f'.repeat(64) }), { status: 400, code: 'dr_limited_token_invalid' });
});

test('startSession runs a grant and serves the whole Shopper API; web-checkout answers the handoff URL', async (t) => {
  const r = await running(t, { backend });
  const anon = await r.confidential.startSession({ type: 'anonymous' });
  assert.equal(anon.tokens.kind, 'limited');
  const me = await anon.me();
  assert.equal(me.id, 'Anonymous');
  assert.equal((await anon.updateMe({ locale: 'fr_FR', currency: 'EUR' })).locale, 'fr_FR');
  await rejectsWith(anon.updateMe({ firstName: 'Eve' }), { status: 403, code: 'forbidden' });

  const products = await anon.products();
  assert.deepEqual(products.product.map((p) => p.id), ['1001', '1002', '1003']);
  assert.equal(products.totalResults, 3);
  const widget = await anon.product('1001');
  assert.equal(widget.displayName, 'Widget');
  assert.deepEqual(widget.pricing.listPrice, { currency: 'USD', value: '19.99' });

  const empty = await anon.cart();
  assert.equal(empty.totalItemsInCart, 0);
  const one = await anon.addToCart('1001', 2, { version: empty.version });
  assert.equal(one.version, empty.version + 1);
  const two = await anon.addToCart('1003');
  assert.deepEqual(two.lineItems.lineItem.map((l) => [l.product.id, l.quantity]).sort(), [['1001', 2], ['1003', 1]]);
  const widgetLine = two.lineItems.lineItem.find((l) => l.product.id === '1001')!;
  const updated = await anon.updateLineItem(widgetLine.id, 5, { version: two.version });
  assert.equal(updated.quantity, 5);
  assert.deepEqual(updated.pricing.salePriceWithQuantity, { currency: 'EUR', value: '99.95' }, 'the session\'s currency');
  const lines = await anon.lineItems();
  assert.equal(lines.lineItem.length, 2);
  await anon.removeLineItem(two.lineItems.lineItem.find((l) => l.product.id === '1003')!.id);
  assert.deepEqual((await anon.cart()).lineItems.lineItem.map((l) => l.product.id), ['1001']);

  // Web checkout from a server: the 302 Location, not followed; the code works once in a browser.
  const location = await anon.webCheckout();
  assert.match(location, /^http:\/\/store\.test\/store\/acme\/fr_FR\/DisplayThreePgCheckoutShoppingCartPage\?handoff=[^&]+$/);
  const path = location.replace('http://store.test', '');
  const handoff = await r.app.inject({ method: 'GET', url: path });
  assert.equal(handoff.statusCode, 302, 'a fresh handoff code is consumed');
  assert.ok(handoff.cookies.some((c) => c.name === 'SLSESSION'));
  const url = await anon.webCheckoutURL();
  assert.equal(url, `${r.base}/v1/shoppers/me/carts/active/web-checkout?token=${anon.tokens.accessToken}`);
  const viaURL = await fetch(url, { redirect: 'manual' });
  assert.equal(viaURL.status, 302);
  assert.match(viaURL.headers.get('location') ?? '', /handoff=/);

  // Orders need a full token; a login on the anonymous session carries the cart.
  await rejectsWith(anon.orders(), { status: 403, code: 'forbidden' });
  const jane = await r.confidential.startSession({ type: 'password', username: 'jane', password: 'Correct-Horse-9', limitedToken: anon.tokens.accessToken });
  assert.equal(jane.tokens.kind, 'full');
  assert.equal((await jane.me()).username, 'jane');
  const order = await jane.submitCart();
  assert.equal(order.totalItemsInOrder, 5);
  assert.deepEqual(order.pricing.orderTotal, { currency: 'EUR', value: '99.95' });
  assert.equal((await jane.cart()).totalItemsInCart, 0, 'a new empty cart follows the order');
  const orders = await jane.orders();
  assert.deepEqual(orders.order.map((o) => o.id), [order.id]);
  assert.equal((await jane.order(order.id)).id, order.id);
  await rejectsWith(jane.order('nope'), { status: 404, code: 'resource-not-found' });

  await jane.addToCart('1002');
  await jane.clearCart();
  assert.equal((await jane.cart()).totalItemsInCart, 0);
  const info = await jane.tokenInfo();
  assert.equal(info.authenticated, 'true');
});

test('typed errors: bad password, 404, 409 version conflict, 429 with retryAfter', async (t) => {
  const r = await running(t, { backend });
  const bad = await rejectsWith(r.confidential.passwordToken({ username: 'jane', password: 'wrong' }), { status: 400, code: 'invalid_grant' });
  assert.ok(bad.isInvalidGrant);
  assert.equal(bad.retryAfter, undefined);

  const s = await r.confidential.startSession({ type: 'guest' });
  await rejectsWith(s.product('9999'), { status: 404, code: 'resource-not-found', description: 'Product "9999" not found' });
  const cart = await s.addToCart('1001');
  await s.addToCart('1002', 1, { version: cart.version });
  // A second writer still holding the first version is refused, and nothing changes.
  const conflict = await rejectsWith(s.addToCart('1003', 1, { version: cart.version }), { status: 409, code: 'concurrent-cart-modification-failure' });
  assert.match(conflict.description, /changed by another request/);
  await rejectsWith(s.updateLineItem(cart.lineItems.lineItem[0]!.id, 3, { version: cart.version }), { status: 409, code: 'concurrent-cart-modification-failure' });
  assert.deepEqual((await s.cart()).lineItems.lineItem.map((l) => [l.product.id, l.quantity]).sort(), [['1001', 1], ['1002', 1]]);
  await s.clearCart();
  await rejectsWith(s.submitCart(), { status: 409, code: 'cart-empty' });

  for (let i = 1; i < 5; i++) {
    await rejectsWith(r.confidential.passwordToken({ username: 'jane', password: `guess-${i}` }), { status: 400, code: 'invalid_grant' });
  }
  const limited = await rejectsWith(r.confidential.passwordToken({ username: 'jane', password: 'Correct-Horse-9' }), { status: 429, code: 'rate-limit-exceeded' });
  assert.ok(limited.retryAfter !== undefined && limited.retryAfter > 0 && limited.retryAfter <= 900, `retryAfter ${limited.retryAfter}`);
});

test('revocation: DELETE access-tokens and RFC 7009 revoke; a session whose refresh is refused surfaces invalid_grant', async (t) => {
  const r = await running(t, { backend });
  const a = await r.confidential.guestToken();
  const info = await r.confidential.revokeAccessToken(a.access_token);
  assert.equal(info.authenticated, 'false');
  await rejectsWith(r.confidential.tokenInfo(a.access_token), { status: 401, code: 'invalid_token', description: 'Token revoked' });
  await rejectsWith(r.confidential.refreshToken(a.refresh_token), { status: 400, code: 'invalid_grant', description: 'Token revoked' });

  const b = await r.publicClient.anonymousToken();
  await r.publicClient.revoke(b.refresh_token, 'refresh_token');
  await rejectsWith(r.publicClient.refreshToken(b.refresh_token), { status: 400, code: 'invalid_grant' });
  await rejectsWith(r.publicClient.tokenInfo(b.access_token), { status: 401, code: 'invalid_token', description: 'Token revoked' });

  // A session that was logged out: the call's 401 leads to one refresh, which is refused.
  const s = await r.confidential.startSession({ type: 'guest' });
  await s.revoke();
  const refreshesBefore = r.refreshes.length;
  const err = await rejectsWith(s.cart(), { status: 400, code: 'invalid_grant', description: 'Token revoked' });
  assert.ok(err.isInvalidGrant);
  assert.deepEqual(r.refreshes.slice(refreshesBefore), [s.tokens.refreshToken], 'one refresh, no retry loop');
});

test('automatic refresh after expires_in runs out: same session, same cart, one refresh, onTokens told', async (t) => {
  const r = await running(t, { backend, seed: IDLE_SEED });
  const client = idleClient(r);
  const persisted: Array<{ tokens: TokenSet; renewed: boolean }> = [];
  const s = await client.startSession({ type: 'guest' }, { now: r.clock.now, onTokens: (tokens, e) => { persisted.push({ tokens, renewed: e.renewed }); } });
  const first = s.tokens;
  const start = r.clock.now();
  assert.equal(first.expiresAt, start + 600_000, 'expires_in 600 on a 10-minute idle site');
  const sessionId = (await s.tokenInfo()).sessionId;
  await s.addToCart('p1', 2);
  // Use keeps the session alive past the token's expires_in, which the client cannot know.
  r.clock.advance(500);
  await s.addToCart('p2');
  r.clock.advance(200);
  assert.ok(s.expired);
  assert.deepEqual(r.refreshes, []);
  const cart = await s.cart();
  assert.deepEqual(cart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]), [['p1', 2], ['p2', 1]]);
  assert.deepEqual(r.refreshes, [first.refreshToken], 'refreshed before the call, once');
  assert.equal((await s.tokenInfo()).sessionId, sessionId);
  assert.equal(persisted.length, 1);
  assert.equal(persisted[0]!.renewed, false);
  assert.deepEqual(persisted[0]!.tokens, s.tokens);
  assert.notEqual(s.tokens.accessToken, first.accessToken);
  assert.equal(s.tokens.expiresAt, start + 1_100_000, 'the new expires_in: 10 minutes after the last use');
});

test('10 concurrent calls during an expiry share one refresh request', async (t) => {
  const r = await running(t, { backend, seed: IDLE_SEED });
  const client = idleClient(r);
  let told = 0;
  const s = await client.startSession({ type: 'password', username: 'sam', password: 'Battery-Staple-7' }, { now: r.clock.now, onTokens: () => { told++; } });
  const cart = await s.addToCart('p1');
  r.clock.advance(590);
  await s.me();
  r.clock.advance(20);
  assert.ok(s.expired);
  const results = await Promise.all(Array.from({ length: 10 }, async (_, i) => i % 2 === 0 ? (await s.cart()).id : (await s.tokenInfo()).cartId));
  assert.deepEqual(results, Array(10).fill(cart.id), 'every call on the same session and cart');
  assert.equal(r.refreshes.length, 1, `refresh requests at the server: ${r.refreshes.length}`);
  assert.equal(told, 1);
});

test('a 401 invalid_token refreshes once and retries once; concurrent 401s share the refresh', async (t) => {
  const r = await running(t, { backend });
  // The client's own clock (Date.now) does not see the server's session end: only the 401 tells it.
  const s = await r.confidential.startSession({ type: 'password', username: 'jane', password: 'Correct-Horse-9' });
  await s.addToCart('1001', 3);
  const before = await s.tokenInfo();
  r.clock.advance(86_401);
  await rejectsWith(r.confidential.tokenInfo(s.tokens.accessToken), { status: 401, code: 'invalid_token', description: 'Session expired' });
  const results = await Promise.all(Array.from({ length: 10 }, async () => await s.cart()));
  assert.equal(r.refreshes.length, 1);
  for (const cart of results) {
    assert.deepEqual(cart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]), [['1001', 3]], 'the shopper\'s cart follows onto the new session');
  }
  const after = await s.tokenInfo();
  assert.notEqual(after.sessionId, before.sessionId, 'a registered shopper continues on a new session');
  assert.equal(after.userId, before.userId);
  assert.equal(r.refreshes.length, 1);
});

test('an ended anonymous session: invalid_grant by default, a new session only when opted in', async (t) => {
  const r = await running(t, { backend });
  const plain = await r.publicClient.startSession({ type: 'anonymous' }, { now: r.clock.now });
  const renewedEvents: boolean[] = [];
  const renewing: ShopperSession = await r.publicClient.startSession({ type: 'anonymous' }, { now: r.clock.now, renewAnonymous: true, onTokens: (_t, e) => { renewedEvents.push(e.renewed); } });
  await plain.addToCart('1001');
  await renewing.addToCart('1001');
  const oldSession = (await renewing.tokenInfo()).sessionId;
  r.clock.advance(86_400);
  await rejectsWith(plain.cart(), { status: 400, code: 'invalid_grant', description: 'Session expired' });
  const fresh = await renewing.cart();
  assert.equal(fresh.totalItemsInCart, 0, 'a new session, a new empty cart');
  assert.notEqual((await renewing.tokenInfo()).sessionId, oldSession);
  assert.deepEqual(renewedEvents, [true]);

  // Never for a signed-in shopper, even when asked.
  const jane = r.confidential.session(await r.confidential.passwordToken({ username: 'jane', password: 'Correct-Horse-9' }), { kind: 'full', renewAnonymous: true });
  await jane.revoke();
  await rejectsWith(jane.me(), { status: 400, code: 'invalid_grant', description: 'Token revoked' });
});
});
