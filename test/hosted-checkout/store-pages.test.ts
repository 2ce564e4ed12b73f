import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousToken, bearer, exchangeSessionToken, makeApp, SEED, type TestApp } from '../support/cart-helpers.js';
import { BACKENDS, openTestApp } from '../support/helpers.js';
import { orderDetailsOf } from '../support/reader.js';
import { escapeHTML } from '../../src/http/html.js';
import { CART, PageBrowser as Browser, PAY, THANKS } from '../support/page-browser.js';

/** The pages' Content-Security-Policy, written out here rather than imported, so a change to it in src/ shows up as a failing test. */
const PAGE_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function pathOf(location: string): string {
  const u = new URL(location);
  return u.pathname + u.search;
}

// Every suite here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) {
describe(`Hosted store pages [${backend}]`, () => {
  let t: TestApp;
  before(async () => { t = await makeApp({}, backend); });
  after(async () => { await t.close(); });

  async function cartOf(token: string) {
    const res = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(token) });
    assert.equal(res.statusCode, 200);
    return res.json().cart as { id: string; lineItems: { lineItem: Array<{ id: string; quantity: number; product: { id: string } }> } };
  }

  it('serves pages with CSP, no-store, escaped values and accessible forms', async () => {
    const b = new Browser(t);
    const res = await b.get(CART);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-security-policy'], PAGE_CSP);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.ok(b.cookie, 'a session cookie is set');
    assert.match(res.body, /Your cart is empty/);
    assert.doesNotMatch(res.body, /<script/i);
    for (const page of [PAY, THANKS]) {
      const p = await b.get(page);
      assert.equal(p.statusCode, 200);
      assert.equal(p.headers['content-security-policy'], PAGE_CSP);
    }
    assert.equal((await b.get('/store/acme/en_US/NoSuchPage')).statusCode, 404);
    assert.equal((await b.get('/store/nosite/en_US/ThankYouPage')).statusCode, 404);
    assert.equal(escapeHTML(`<a href="x" onclick='y'>&`), '&#60;a href&#61;&#34;x&#34; onclick&#61;&#39;y&#39;&#62;&#38;');
  });

  it('escapes catalogue values in the page', async () => {
    // A catalogue of its own, seeded as an operator would, so the shared app's catalogue stays as it is.
    const [acme, ...rest] = SEED.sites;
    const products = [...(acme!.products ?? []), { id: 'x1', name: '<img src=x onerror=alert(1)>', price: '1.00' }];
    const own = await openTestApp({ config: { secret: 'test-secret-0123456789abcdef' }, seed: { sites: [{ ...acme!, products }, ...rest] }, backend });
    try {
      const b = new Browser(own);
      const page = await b.get(CART);
      assert.doesNotMatch(page.body, /<img src=x/);
      assert.match(page.body, /&#60;img src&#61;x onerror&#61;alert\(1\)&#62;/);
    } finally {
      await own.close();
    }
  });

  it('browser → app: a cart built on the pages is what the app sees after exchanging the session token', async () => {
    const b = new Browser(t);
    const csrf = await b.csrf();
    const add = await b.post(CART, { csrf, action: 'add', productId: '1002', quantity: '3' });
    assert.equal(add.statusCode, 303);
    await b.post(CART, { csrf, action: 'add', productId: '1001', quantity: '1' });
    const page = await b.get(CART);
    assert.match(page.body, /Gadget/);
    const token = await exchangeSessionToken(t.app, await b.sessionToken());
    const cart = await cartOf(token);
    assert.deepEqual(cart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]).sort(), [['1001', 1], ['1002', 3]]);
    // And back: the app's change shows on the page.
    await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1003&quantity=2' });
    assert.match((await b.get(CART)).body, /Gizmo/);
    // Update and remove on the page.
    const line = cart.lineItems.lineItem.find((l) => l.product.id === '1002')!.id;
    assert.equal((await b.post(CART, { csrf, action: 'update', lineItemId: line, quantity: '7' })).statusCode, 303);
    assert.equal((await cartOf(token)).lineItems.lineItem.find((l) => l.id === line)!.quantity, 7);
    const bad = await b.post(CART, { csrf, action: 'update', lineItemId: line, quantity: '0' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /role="alert"/);
    const unknown = await b.post(CART, { csrf, action: 'add', productId: 'nope', quantity: '1' });
    assert.equal(unknown.statusCode, 404);
    assert.equal((await b.post(CART, { csrf, action: 'remove', lineItemId: line })).statusCode, 303);
    assert.deepEqual((await cartOf(token)).lineItems.lineItem.map((l) => l.product.id).sort(), ['1001', '1003']);
  });

  it('app → browser: web-checkout hands the app cart to a fresh browser, once', async () => {
    const token = await anonymousToken(t.app);
    await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1003&quantity=4' });
    const wc = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(token) });
    assert.equal(wc.statusCode, 302);
    const target = pathOf(wc.headers.location as string);

    const b = new Browser(t);
    const first = await b.get(target);
    assert.equal(first.statusCode, 302);
    assert.equal(first.headers.location, `http://store.test${CART}`);
    assert.ok(b.cookie);
    const page = await b.get(CART);
    assert.match(page.body, /Gizmo/);
    assert.match(page.body, /value="4"/);

    // A second browser replaying the spent code sees its own (empty) cart and a notice.
    const thief = new Browser(t);
    const replay = await thief.get(target);
    assert.equal(replay.statusCode, 200);
    assert.match(replay.body, /expired or was already used/);
    assert.doesNotMatch(replay.body, /Gizmo<\/td>|value="4"/);
    assert.match(replay.body, /Your cart is empty/);
  });

  it('two browsers racing for one code: exactly one wins', async () => {
    const token = await anonymousToken(t.app);
    const wc = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers: { ...bearer(token), ...FORM }, payload: 'productId=1001&quantity=1' });
    const target = pathOf(wc.headers.location as string);
    const results = await Promise.all([new Browser(t).get(target), new Browser(t).get(target), new Browser(t).get(target)]);
    assert.equal(results.filter((r) => r.statusCode === 302).length, 1);
    assert.equal(results.filter((r) => r.statusCode === 200 && /already used/.test(r.body)).length, 2);
  });

  it('forged and expired handoff codes show the browser’s own session with a notice', async () => {
    const b = new Browser(t);
    const csrf = await b.csrf();
    await b.post(CART, { csrf, action: 'add', productId: '1002', quantity: '1' });
    for (const code of ['0'.repeat(64), 'not-hex', '<script>']) {
      const res = await b.get(`${CART}?handoff=${encodeURIComponent(code)}`);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /expired or was already used/);
      assert.match(res.body, /Gadget/);
      assert.doesNotMatch(res.body, /<script>/);
    }
    const token = await anonymousToken(t.app);
    await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1003&quantity=9' });
    const wc = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(token) });
    t.clock.advance(61);
    const expired = await b.get(pathOf(wc.headers.location as string));
    assert.equal(expired.statusCode, 200);
    assert.match(expired.body, /expired or was already used/);
    assert.doesNotMatch(expired.body, /value="9"/);
  });

  it('a missing or wrong CSRF token is 403 and changes nothing', async () => {
    const b = new Browser(t);
    const csrf = await b.csrf();
    await b.post(CART, { csrf, action: 'add', productId: '1001', quantity: '2' });
    const token = await exchangeSessionToken(t.app, await b.sessionToken());
    const before = await cartOf(token);
    const other = new Browser(t);
    const othersCsrf = await other.csrf();
    const forms: Array<Record<string, string>> = [{}, { csrf: '' }, { csrf: 'f'.repeat(64) }, { csrf: othersCsrf }];
    for (const form of forms) {
      const add = await b.post(CART, { ...form, action: 'add', productId: '1002', quantity: '1' });
      assert.equal(add.statusCode, 403);
      const order = await b.post(PAY, {
        ...form, firstName: 'A', lastName: 'B', email: 'a@b.example', line1: '1 Road', city: 'X', postalCode: '1', country: 'US',
        cardNumber: '4111111111111111', expiry: '12/30', cvv: '123'
      });
      assert.equal(order.statusCode, 403);
    }
    assert.deepEqual(await cartOf(token), before);
  });

  it('places an order on the payment page and shows it on the thank-you page', async () => {
    const token = await anonymousToken(t.app);
    await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1002&quantity=2' });
    const wc = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(token) });
    const b = new Browser(t);
    await b.get(pathOf(wc.headers.location as string));
    const cartBefore = await cartOf(token);
    const pay = await b.get(PAY);
    assert.match(pay.body, /<label for="f-cardNumber">/);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(pay.body)![1]!;
    const version = /name="version" value="([0-9]+)"/.exec(pay.body)![1]!;
    const form = {
      csrf, version, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', line1: '12 <b>Analytical</b> St', city: 'London',
      postalCode: 'N1', country: 'GB', cardNumber: '4111 1111 1111 1111', expiry: '12/30', cvv: '123'
    };
    const invalid = await b.post(PAY, { ...form, cardNumber: '4111111111111112' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Card number is not valid/);
    // The app changes the cart while the shopper is on the payment page: stale version → 409, no order.
    await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1001&quantity=1' });
    const stale = await b.post(PAY, form);
    assert.equal(stale.statusCode, 409);
    const fresh = /name="version" value="([0-9]+)"/.exec(stale.body)![1]!;
    const placed = await b.post(PAY, { ...form, version: fresh });
    assert.equal(placed.statusCode, 303);
    assert.equal(placed.headers.location, THANKS);
    const thanks = await b.get(THANKS);
    assert.match(thanks.body, /Thank you for your order/);
    assert.match(thanks.body, /Lovelace/);
    assert.match(thanks.body, /&#60;b&#62;Analytical/);
    assert.match(thanks.body, /ending 1111/);
    assert.match(thanks.body, /\$88\.99/);
    const after1 = await cartOf(token);
    assert.notEqual(after1.id, cartBefore.id);
    assert.equal(after1.lineItems.lineItem.length, 0);
    assert.doesNotMatch(await orderDetailsOf(t.db, cartBefore.id), /4111111111111111|"123"/);
    // Submitting again with the now-empty cart places nothing.
    const again = await b.post(PAY, { ...form, version: '' });
    assert.equal(again.statusCode, 409);
  });

  it('a handoff code made before a login on that session dies with the re-key; the new one carries the cart over', async () => {
    const b = new Browser(t);
    const csrf = await b.csrf();
    await b.post(CART, { csrf, action: 'add', productId: '1002', quantity: '2' });
    const sessionToken = await b.sessionToken();
    const limited = await exchangeSessionToken(t.app, sessionToken);
    const oldCode = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(limited) });
    const basic = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
    const login = await t.app.inject({
      method: 'POST', url: '/oauth20/token', headers: { authorization: basic, ...FORM },
      payload: `grant_type=password&username=jane&password=Correct-Horse-9&dr_session_token=${sessionToken}`
    });
    assert.equal(login.statusCode, 200);
    const full = (login.json() as { access_token: string }).access_token;
    const stale = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(limited) });
    assert.equal(stale.statusCode, 401);
    const other = new Browser(t);
    const replay = await other.get(pathOf(oldCode.headers.location as string));
    assert.equal(replay.statusCode, 200);
    assert.match(replay.body, /expired or was already used/);
    assert.match(replay.body, /Your cart is empty/);
    // The old cookie died with the re-key: the first browser gets a fresh session until handed over again.
    assert.match((await b.get(CART)).body, /Your cart is empty/);
    const fresh = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: bearer(full) });
    assert.equal((await b.get(pathOf(fresh.headers.location as string))).statusCode, 302);
    assert.match((await b.get(CART)).body, /Gadget/);
  });

  it('error pages keep the security headers', async () => {
    const b = new Browser(t);
    const res = await b.post(CART, { action: 'add', productId: '1001', quantity: '1' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['content-security-policy'], PAGE_CSP);
    assert.equal(res.headers['cache-control'], 'no-store');
    const notFound = await b.get('/store/acme/xx-yy/ThankYouPage');
    assert.equal(notFound.statusCode, 404);
    assert.equal(notFound.headers['content-security-policy'], PAGE_CSP);
  });
});
}
