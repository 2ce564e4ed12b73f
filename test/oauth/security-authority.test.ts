// Security issue 12, part A: what a token may do. Each test runs on SQLite and again on
// PostgreSQL (a fresh database each), because the session-token exchange, the refresh grant and
// the sweep take dialect-specific paths.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { BACKENDS, BASIC, buildTestApp, OTHER_SITE, tokenInfo, tokenRequest, type TestApp } from '../support/helpers.js';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { sweep } from '../support/startup.js';
import { DEFAULT_SESSION_BUDGETS } from '../../src/config.js';
import { countStored } from '../support/reader.js';

const OTHER_BASIC = 'Basic ' + Buffer.from('other-app:other-secret-456').toString('base64');
const CART_PAGE = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JANE = { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' };

async function build(t: TestContext, backend: 'sqlite' | 'postgres', options: { seed?: Seed } = {}): Promise<TestApp> {
  return await buildTestApp(t, { ...options, backend });
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: 'application/json' };
}

async function count(app: TestApp, table: 'sessions' | 'access_tokens' | 'refresh_tokens' | 'orders' | 'handoff_codes' | 'handles'): Promise<number> {
  return await countStored(app.db, table);
}

/** A browser: one SLSESSION cookie for the acme store path. */
class Browser {
  cookie: string | null = null;
  constructor(private readonly app: FastifyInstance) {}
  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { ...headers, ...(this.cookie === null ? {} : { cookie: `SLSESSION=${this.cookie}` }) } });
    this.remember(res);
    return res;
  }
  async post(url: string, values: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'POST', url, payload: new URLSearchParams(values).toString(),
      headers: { ...FORM, ...(this.cookie === null ? {} : { cookie: `SLSESSION=${this.cookie}` }) }
    });
    this.remember(res);
    return res;
  }
  private remember(res: LightMyRequestResponse): void {
    const set = res.cookies.find((c) => c.name === 'SLSESSION');
    if (set !== undefined) this.cookie = set.value;
  }
  /** Follows a web-checkout redirect onto the hosted pages (the handoff). */
  async follow(redirect: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    assert.equal(redirect.statusCode, 302, redirect.body);
    const url = new URL(redirect.headers.location as string);
    return await this.get(url.pathname + url.search);
  }
}

/** Jane signs in through the app, which brings the browser onto her session with web-checkout. */
async function signedInBrowser(app: FastifyInstance): Promise<{ browser: Browser; full: { access_token: string; refresh_token: string } }> {
  const full = (await tokenRequest(app, JANE, { authorization: BASIC })).json();
  await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(full.access_token), ...FORM }, payload: 'productId=1001&quantity=2' });
  const browser = new Browser(app);
  const checkout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(full.access_token) });
  const landed = await browser.follow(checkout);
  assert.equal(landed.statusCode, 302, 'the handoff is consumed and the page redirects to itself');
  assert.ok(browser.cookie !== null);
  return { browser, full };
}

function errorCode(res: LightMyRequestResponse): string {
  return (res.json() as { errors: { error: Array<{ code: string }> } }).errors.error[0]!.code;
}

for (const backend of BACKENDS) {
  test(`[${backend}] finding 1: a limited token on a signed-in session reaches the cart, never the profile, orders or submit-cart`, async (t) => {
    const sut = await build(t, backend);
    const { app } = sut;
    const { browser, full } = await signedInBrowser(app);

    // The site action with the public key hands this browser a limited token on Jane's session.
    const action = await browser.get('/store/acme/SessionToken?apiKey=acme-public&format=json');
    assert.equal(action.statusCode, 200);
    const limited = action.json().token.access_token as string;
    const info = (await tokenInfo(app, limited)).json();
    assert.equal(info.sessionId, (await tokenInfo(app, full.access_token)).json().sessionId, 'the same session');
    assert.equal(info.authenticated, 'false');
    // So does a session-token exchange without credentials.
    const sessionToken = (await browser.get('/store/acme/SessionToken?format=json')).json().session_token as string;
    const exchanged = (await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public', dr_session_token: sessionToken })).json().access_token as string;

    for (const token of [limited, exchanged]) {
      const me = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: bearer(token) });
      assert.equal(me.statusCode, 403, me.body);
      assert.equal(errorCode(me), 'forbidden');
      assert.doesNotMatch(me.body, /jane|Doe|example\.com/i);
      for (const payload of ['locale=de_DE', 'emailAddress=evil@example.com', 'firstName=Eve']) {
        const change = await app.inject({ method: 'POST', url: '/v1/shoppers/me', headers: { ...bearer(token), ...FORM }, payload });
        assert.equal(change.statusCode, 403, payload);
      }
      // The cart is shared: read and change it.
      const cart = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(token) });
      assert.equal(cart.statusCode, 200);
      const added = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1003&quantity=1' });
      assert.equal(added.statusCode, 200);
      // But never order in Jane's name.
      const orders = await count(sut, 'orders');
      const submit = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart', headers: bearer(token) });
      assert.equal(submit.statusCode, 403, submit.body);
      assert.equal(errorCode(submit), 'forbidden');
      assert.equal(await count(sut, 'orders'), orders, 'no order placed');
      // Nor hand another browser her signed-in session: the redirect carries no handoff.
      const handoffs = await count(sut, 'handoff_codes');
      const checkout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(token) });
      assert.equal(checkout.statusCode, 302);
      assert.doesNotMatch(checkout.headers.location as string, /handoff=/);
      assert.equal(await count(sut, 'handoff_codes'), handoffs);
    }
    const profile = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: bearer(full.access_token) });
    assert.equal(profile.json().shopper.emailAddress, 'jane@example.com', 'the full token keeps its authority');
    assert.equal(profile.json().shopper.firstName, 'Jane');
    const order = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart', headers: bearer(full.access_token) });
    assert.equal(order.statusCode, 200, order.body);
    const orderId = order.json().submitCart.order.id as string;
    for (const url of ['/v1/shoppers/me/orders', `/v1/shoppers/me/orders/${orderId}`]) {
      assert.equal((await app.inject({ method: 'GET', url, headers: bearer(limited) })).statusCode, 403, url);
      assert.equal((await app.inject({ method: 'GET', url, headers: bearer(full.access_token) })).statusCode, 200, url);
    }

    // A limited token on an anonymous session keeps a guest's rights.
    const guest = (await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public' })).json().access_token as string;
    assert.equal((await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: bearer(guest) })).json().shopper.id, 'Anonymous');
    assert.equal((await app.inject({ method: 'POST', url: '/v1/shoppers/me', headers: { ...bearer(guest), ...FORM }, payload: 'locale=de_DE' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/v1/shoppers/me', headers: { ...bearer(guest), ...FORM }, payload: 'firstName=Eve' })).statusCode, 403);
    await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(guest), ...FORM }, payload: 'productId=1001' });
    assert.equal((await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/submit-cart', headers: bearer(guest) })).statusCode, 200, 'guest checkout');
    const guestCheckout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(guest) });
    assert.match(guestCheckout.headers.location as string, /handoff=[0-9a-f]{64}$/);
  });

  test(`[${backend}] finding 1: a limited refresh token whose session ended answers invalid_grant and creates nothing`, async (t) => {
    const sut = await build(t, backend);
    const { app, clock } = sut;
    // The external-reference shopper of the report, and a password one.
    const external = (await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'ext-42' }, { authorization: BASIC })).json();
    const jane = (await tokenRequest(app, JANE, { authorization: BASIC })).json();
    const limitedPairs = [];
    for (const full of [external, jane]) {
      const checkout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(full.access_token) });
      const browser = new Browser(app);
      await browser.follow(checkout);
      const action = await browser.get('/store/acme/SessionToken?apiKey=acme-public&format=json');
      limitedPairs.push(action.json().token as { access_token: string; refresh_token: string });
    }
    // While the session lives, a limited refresh works (same session, still limited).
    const live = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: limitedPairs[0]!.refresh_token, client_id: 'acme-public' });
    assert.equal(live.statusCode, 200, live.body);
    assert.equal((await tokenInfo(app, live.json().access_token)).json().authenticated, 'false');
    limitedPairs[0] = live.json();
    clock.advance(86401);
    const before = { sessions: await count(sut, 'sessions'), access: await count(sut, 'access_tokens'), refresh: await count(sut, 'refresh_tokens') };
    for (const pair of limitedPairs) {
      const res = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: 'acme-public' });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error, 'invalid_grant');
      assert.equal(res.json().error_description, 'Session expired');
    }
    assert.deepEqual({ sessions: await count(sut, 'sessions'), access: await count(sut, 'access_tokens'), refresh: await count(sut, 'refresh_tokens') }, before, 'nothing created');
    // The full tokens still continue their shoppers on new sessions.
    const renewed = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: jane.refresh_token }, { authorization: BASIC });
    assert.equal(renewed.statusCode, 200);
    assert.equal((await tokenInfo(app, renewed.json().access_token)).json().authenticated, 'true');
  });

  test(`[${backend}] finding 2: a confidential key's refresh token is refreshed only with its secret`, async (t) => {
    const { app } = await build(t, backend);
    const pair = (await tokenRequest(app, JANE, { authorization: BASIC })).json();
    const other = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
    for (const authorization of [`Bearer ${pair.access_token}`, `Bearer ${other.access_token}`, 'Basic ' + Buffer.from('acme-app:').toString('base64')]) {
      const res = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization });
      assert.equal(res.statusCode, 401, authorization);
      assert.equal(res.json().error, 'invalid_client');
      assert.match(res.headers['www-authenticate'] as string, /^Basic/);
    }
    const noSecret = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: 'acme-app' });
    assert.equal(noSecret.statusCode, 401);
    // The refused attempts spent nothing: the secret still refreshes it.
    const ok = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC });
    assert.equal(ok.statusCode, 200, ok.body);
    // A public key's token may still name its key by Bearer (its credentials are public anyway).
    const pub = (await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public' })).json();
    const viaBearer = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pub.refresh_token }, { authorization: `Bearer ${pub.access_token}` });
    assert.equal(viaBearer.statusCode, 200, viaBearer.body);
  });

  test(`[${backend}] finding 6: a web-checkout POST from an unlisted Origin (null included) is 403 and changes nothing`, async (t) => {
    const sut = await build(t, backend);
    const { app } = sut;
    const token = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: OTHER_BASIC })).json().access_token as string;
    const post = async (origin: string | null): Promise<LightMyRequestResponse> => await app.inject({
      method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout',
      headers: { ...FORM, accept: 'application/json', ...(origin === null ? {} : { origin }) }, payload: `token=${token}&productId=2001&quantity=1`
    });
    for (const origin of ['https://evil.example', 'null', 'https://shop.other.example.evil.example', 'http://shop.other.example']) {
      const res = await post(origin);
      assert.equal(res.statusCode, 403, origin);
      assert.equal(errorCode(res), 'forbidden');
      assert.equal(await count(sut, 'handoff_codes'), 0, 'no handoff made');
    }
    const cart = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(token) });
    assert.equal(cart.json().cart.totalItemsInCart, 0, 'the refused POST left the cart alone');
    const listed = await post('https://shop.other.example');
    assert.equal(listed.statusCode, 302);
    assert.match(listed.headers.location as string, /handoff=/);
    assert.equal((await post(null)).statusCode, 302, 'no Origin: a server or a same-origin form');
    // A site that lists no origins keeps today's behaviour.
    const acme = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json().access_token as string;
    const open = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers: { ...bearer(acme), origin: 'https://anywhere.example' } });
    assert.equal(open.statusCode, 302);
  });

  test(`[${backend}] finding 6: a handoff never silently replaces a signed-in browser's session`, async (t) => {
    const { app } = await build(t, backend);
    const { browser, full } = await signedInBrowser(app);
    const janeCookie = browser.cookie;
    // An attacker's guest session, handed to Jane's browser by a link.
    const attacker = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json().access_token as string;
    const lure = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(attacker) });
    const asked = await browser.follow(lure);
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /Switch checkout\?/);
    assert.equal(asked.cookies.length, 0, 'the cookie is not replaced');
    assert.equal(browser.cookie, janeCookie);
    assert.match((await browser.get(CART_PAGE)).body, /Widget/, 'still on Jane\'s cart');
    // Her explicit choice (CSRF-protected) switches.
    const code = /name="handoff" value="([0-9a-f]{64})"/.exec(asked.body)![1]!;
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(asked.body)![1]!;
    const forged = await browser.post(CART_PAGE, { action: 'switch-session', handoff: code, csrf: '0'.repeat(64) });
    assert.equal(forged.statusCode, 403);
    assert.equal(browser.cookie, janeCookie);
    const switched = await browser.post(CART_PAGE, { action: 'switch-session', handoff: code, csrf });
    assert.equal(switched.statusCode, 303);
    assert.notEqual(browser.cookie, janeCookie);
    const sessionToken = (await browser.get('/store/acme/SessionToken?format=json')).json().session_token as string;
    const joined = (await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC })).json().access_token as string;
    assert.equal((await tokenInfo(app, joined)).json().sessionId, (await tokenInfo(app, attacker)).json().sessionId);

    // The same shopper's new session switches without a question.
    const second = new Browser(app);
    await second.follow(await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(full.access_token) }));
    const again = (await tokenRequest(app, JANE, { authorization: BASIC })).json().access_token as string;
    const before = second.cookie;
    const moved = await second.follow(await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(again) }));
    assert.equal(moved.statusCode, 302);
    assert.notEqual(second.cookie, before);
  });

  test(`[${backend}] finding 9: joins of one session have a budget (site action and exchanges share it); nothing is stored over it`, async (t) => {
    const sut = await build(t, backend);
    const { app, clock } = sut;
    const browser = new Browser(app);
    const sessionToken = (await browser.get('/store/acme/SessionToken?format=json')).json().session_token as string;
    const exchange = async (): Promise<LightMyRequestResponse> => await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public', dr_session_token: sessionToken });
    for (let i = 0; i < DEFAULT_SESSION_BUDGETS.joinsPerSession - 2; i++) {
      assert.equal((await exchange()).statusCode, 200, `join ${i}`);
    }
    assert.equal((await browser.get('/store/acme/SessionToken?apiKey=acme-public&format=json')).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=acme-public&sessionToken=${sessionToken}&format=json` })).statusCode, 200);
    const rows = await count(sut, 'access_tokens');
    const over = await exchange();
    assert.equal(over.statusCode, 429);
    assert.equal(over.json().error, 'rate-limit-exceeded');
    assert.ok(Number(over.headers['retry-after']) > 0);
    const action = await browser.get('/store/acme/SessionToken?apiKey=acme-public&format=json&callback=cb');
    assert.equal(action.statusCode, 429);
    assert.match(action.body, /^\/\*\*\/cb\(\{"error":"rate-limit-exceeded"/);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=acme-public&sessionToken=${sessionToken}` })).statusCode, 429);
    assert.equal(await count(sut, 'access_tokens'), rows, 'nothing stored over budget');
    // Other sessions are not touched, and the window moves on.
    assert.equal((await new Browser(app).get('/store/acme/SessionToken?apiKey=acme-public&format=json')).statusCode, 200);
    clock.advance(DEFAULT_SESSION_BUDGETS.sessionWindowSeconds * 2);
    assert.equal((await exchange()).statusCode, 200);
  });

  test(`[${backend}] finding 9: refreshes of one session have a budget; a site's limits may change it`, async (t) => {
    const seed: Seed = { sites: [{ ...DEMO_SEED.sites[0]!, limits: { refreshesPerSession: 3, joinsPerSession: 2 } }, OTHER_SITE] };
    const sut = await build(t, backend, { seed });
    const { app, clock } = sut;
    let pair = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
    for (let i = 0; i < 3; i++) {
      const res = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC });
      assert.equal(res.statusCode, 200, res.body);
      pair = res.json();
    }
    const refreshRows = await count(sut, 'refresh_tokens');
    const over = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC });
    assert.equal(over.statusCode, 429);
    assert.equal(await count(sut, 'refresh_tokens'), refreshRows);
    clock.advance(1200);
    const later = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC });
    assert.equal(later.statusCode, 200, 'the refused refresh did not spend the token');
    const sessionToken = (await new Browser(app).get('/store/acme/SessionToken?format=json')).json().session_token as string;
    const joins = [];
    for (let i = 0; i < 3; i++) joins.push((await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public', dr_session_token: sessionToken })).statusCode);
    assert.deepEqual(joins, [200, 200, 429]);
  });

  test(`[${backend}] finding 9: token rows of ended sessions are swept after the grace of the "why" answers`, async (t) => {
    const sut = await build(t, backend);
    const { app, clock } = sut;
    const guest = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
    const browser = new Browser(app);
    const sessionToken = (await browser.get('/store/acme/SessionToken?format=json')).json().session_token as string;
    for (let i = 0; i < 5; i++) await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public', dr_session_token: sessionToken });
    const jane = (await tokenRequest(app, JANE, { authorization: BASIC })).json();
    assert.equal(await count(sut, 'refresh_tokens'), 7);
    clock.advance(86400 + 3600);
    await sweep(sut);
    // Within the grace every handle still says why it died.
    assert.equal((await tokenInfo(app, guest.access_token)).json().error_description, 'Session expired');
    const late = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: guest.refresh_token }, { authorization: BASIC });
    assert.equal(late.json().error_description, 'Session expired');
    assert.equal((await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public', dr_session_token: sessionToken })).json().error_description, 'Session expired');
    assert.equal(await count(sut, 'refresh_tokens'), 7);
    clock.advance(86400);
    await sweep(sut);
    assert.equal(await count(sut, 'access_tokens'), 0);
    assert.equal(await count(sut, 'handles'), 0);
    assert.equal(await count(sut, 'refresh_tokens'), 1, 'only the signed-in shopper\'s full refresh token is kept: it continues her on a new session');
    const renewed = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: jane.refresh_token }, { authorization: BASIC });
    assert.equal(renewed.statusCode, 200, renewed.body);
  });

  test(`[${backend}] site action: with allowedOrigins, a request with neither Sec-Fetch-Site nor Referer is served only without a session cookie`, async (t) => {
    const { app } = await build(t, backend);
    const url = '/store/other/SessionToken?format=json';
    const fresh = await app.inject({ method: 'GET', url });
    assert.equal(fresh.statusCode, 200, 'curl or a server: a brand-new session');
    const cookie = fresh.cookies.find((c) => c.name === 'SLSESSION')!.value;
    const headers = { cookie: `SLSESSION=${cookie}` };
    const stripped = await app.inject({ method: 'GET', url: `${url}&apiKey=other-public`, headers });
    assert.equal(stripped.statusCode, 403, 'an old browser including it from an unknown page');
    assert.doesNotMatch(stripped.body, /access_token/);
    assert.equal((await app.inject({ method: 'GET', url, headers: { ...headers, origin: 'null' } })).statusCode, 403);
    const listed = await app.inject({ method: 'GET', url, headers: { ...headers, referer: 'https://shop.other.example/cart' } });
    assert.equal(listed.statusCode, 200);
    assert.equal(listed.json().session_token, fresh.json().session_token);
    assert.equal((await app.inject({ method: 'GET', url, headers: { ...headers, origin: 'https://shop.other.example' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url, headers: { ...headers, 'sec-fetch-site': 'same-origin' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers })).statusCode, 200, 'a site without allowedOrigins is unchanged');
  });
}
