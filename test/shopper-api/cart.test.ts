import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousToken, bearer, fullToken, makeApp, type TestApp } from '../support/cart-helpers.js';
import { BACKENDS } from '../support/helpers.js';
import { storedHandoffHashes } from '../support/reader.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface CartDoc {
  cart: {
    id: string; version: number; totalItemsInCart: number; webCheckout: { uri: string };
    lineItems: { lineItem: Array<{ id: string; quantity: number; product: { id: string } }> };
    pricing: { subtotal: { value: string } };
  };
}
interface ErrorDoc { errors: { error: Array<{ code: string; description: string; relation: string }> } }

// Every suite here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) {
describe(`Shopper API: carts [${backend}]`, () => {
  let t: TestApp;
  before(async () => { t = await makeApp({}, backend); });
  after(async () => { await t.close(); });

  async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token: string | null, payload?: string, headers: Record<string, string> = {}) {
    const res = await t.app.inject({
      method, url,
      headers: { ...(token === null ? { accept: 'application/json' } : bearer(token)), ...(payload !== undefined ? FORM : {}), ...headers },
      ...(payload !== undefined ? { payload } : {})
    });
    assert.ok(res.statusCode < 500, `${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res;
  }
  function errorCode(body: string): string {
    return (JSON.parse(body) as ErrorDoc).errors.error[0]!.code;
  }

  it('anonymous shopper profile is "Anonymous"; a limited token may change only locale, currency, ipAddress', async () => {
    const token = await anonymousToken(t.app);
    const me = await call('GET', '/v1/shoppers/me', token);
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().shopper.id, 'Anonymous');
    const ok = await call('POST', '/v1/shoppers/me', token, 'locale=de_DE&currency=EUR&ipAddress=10.0.0.1');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().shopper.locale, 'de_DE');
    assert.equal(ok.json().shopper.currency, 'EUR');
    const denied = await call('POST', '/v1/shoppers/me', token, 'firstName=Mallory');
    assert.equal(denied.statusCode, 403);
    assert.equal(errorCode(denied.body), 'forbidden');
    const bad = await call('POST', '/v1/shoppers/me', token, 'currency=euro');
    assert.equal(bad.statusCode, 400);
    const xml = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${token}` } });
    assert.match(xml.headers['content-type'] as string, /xml/);
    assert.match(xml.body, /<id>Anonymous<\/id>/);
    const suffix = await t.app.inject({ method: 'GET', url: `/v1/shoppers/me.json?token=${token}` });
    assert.equal(suffix.json().shopper.id, 'Anonymous');
  });

  it('a full token may change the profile', async () => {
    const token = await fullToken(t.app);
    const res = await call('POST', '/v1/shoppers/me', token, 'firstName=Janet');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().shopper.firstName, 'Janet');
    assert.notEqual(res.json().shopper.id, 'Anonymous');
  });

  it('products: with a token, with a public apiKey alone, unknown id is 404', async () => {
    const token = await anonymousToken(t.app);
    const list = await call('GET', '/v1/shoppers/me/products', token);
    assert.equal(list.json().products.product.length, 3);
    const byKey = await call('GET', '/v1/shoppers/me/products.json?apiKey=acme-public', null);
    assert.equal(byKey.statusCode, 200);
    assert.equal(byKey.json().products.product[0].id, '1001');
    const one = await call('GET', '/v1/shoppers/me/products/1002.json?apiKey=acme-public', null);
    assert.equal(one.json().product.displayName, 'Gadget');
    const missing = await call('GET', '/v1/shoppers/me/products/9999', token);
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing.body), 'resource-not-found');
    const none = await call('GET', '/v1/shoppers/me/products', null);
    assert.equal(none.statusCode, 401);
    assert.equal(errorCode(none.body), 'invalid_token');
    const otherSite = await call('GET', '/v1/shoppers/me/products.json?apiKey=beta-public', null);
    assert.deepEqual(otherSite.json().products.product.map((p: { id: string }) => p.id), ['2001']);
  });

  it('adds, updates and removes line items; version bumps on every change; webCheckout.uri is present', async () => {
    const token = await anonymousToken(t.app);
    const empty = await call('GET', '/v1/shoppers/me/carts/active', token);
    const v0 = (empty.json() as CartDoc).cart.version;
    assert.equal((empty.json() as CartDoc).cart.lineItems.lineItem.length, 0);
    assert.equal((empty.json() as CartDoc).cart.webCheckout.uri, 'http://api.test/v1/shoppers/me/carts/active/web-checkout');

    const added = await call('POST', '/v1/shoppers/me/carts/active', token, 'productId=1001&quantity=2');
    assert.equal(added.statusCode, 200);
    const c1 = (added.json() as CartDoc).cart;
    assert.equal(c1.version, v0 + 1);
    assert.equal(c1.lineItems.lineItem[0]!.quantity, 2);
    assert.equal(c1.pricing.subtotal.value, '39.98');
    assert.equal(added.headers.etag, `"${c1.version}"`);

    const more = await call('POST', '/v1/shoppers/me/carts/active/line-items', token, 'action=add&productId=1003&quantity=3');
    assert.equal(more.statusCode, 200);
    assert.equal(more.json().lineItems.lineItem.length, 2);

    const lineId = c1.lineItems.lineItem[0]!.id;
    const updated = await call('POST', `/v1/shoppers/me/carts/active/line-items/${lineId}`, token, 'action=update&quantity=5');
    assert.equal(updated.statusCode, 200);
    assert.equal(updated.json().lineItem.quantity, 5);
    const one = await call('GET', `/v1/shoppers/me/carts/active/line-items/${lineId}.json`, token);
    assert.equal(one.json().lineItem.quantity, 5);

    const removed = await call('DELETE', `/v1/shoppers/me/carts/active/line-items/${lineId}`, token);
    assert.equal(removed.statusCode, 204);
    const after1 = (await call('GET', '/v1/shoppers/me/carts/active.json', token)).json() as CartDoc;
    assert.deepEqual(after1.cart.lineItems.lineItem.map((l) => l.product.id), ['1003']);
    assert.equal(after1.cart.version, v0 + 4);

    const gone = await call('DELETE', `/v1/shoppers/me/carts/active/line-items/${lineId}`, token);
    assert.equal(gone.statusCode, 404);
    const cleared = await call('DELETE', '/v1/shoppers/me/carts/active/line-items', token);
    assert.equal(cleared.statusCode, 204);
    assert.equal(((await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc).cart.totalItemsInCart, 0);
  });

  it('rejects an unknown product (404) and bad quantities (400), changing nothing', async () => {
    const token = await anonymousToken(t.app);
    await call('POST', '/v1/shoppers/me/carts/active', token, 'productId=1001&quantity=1');
    const before = (await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc;
    const unknown = await call('POST', '/v1/shoppers/me/carts/active', token, 'productId=nope&quantity=1');
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorCode(unknown.body), 'resource-not-found');
    for (const q of ['0', '-1', '1000', '99999999999999999999', 'abc', '1.5', '1e3', ' ']) {
      const res = await call('POST', '/v1/shoppers/me/carts/active', token, `productId=1002&quantity=${encodeURIComponent(q)}`);
      assert.equal(res.statusCode, 400, `quantity ${q}`);
      assert.equal(errorCode(res.body), 'invalid-request');
      const upd = await call('POST', `/v1/shoppers/me/carts/active/line-items/${before.cart.lineItems.lineItem[0]!.id}`, token, `action=update&quantity=${encodeURIComponent(q)}`);
      assert.equal(upd.statusCode, 400, `update quantity ${q}`);
    }
    const over = await call('POST', '/v1/shoppers/me/carts/active', token, 'productId=1001&quantity=999');
    assert.equal(over.statusCode, 400, 'adding beyond the maximum in total');
    const unknownLine = await call('POST', '/v1/shoppers/me/carts/active/line-items/ffffffffffffffff', token, 'action=update&quantity=2');
    assert.equal(unknownLine.statusCode, 404);
    const after1 = (await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc;
    assert.deepEqual(after1.cart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]), [['1001', 1]]);
    assert.equal(after1.cart.version, before.cart.version);
    const missingProduct = await call('POST', '/v1/shoppers/me/carts/active/line-items', token, 'action=add&quantity=1');
    assert.equal(missingProduct.statusCode, 400);
  });

  it('409 concurrent-cart-modification-failure on a stale version or If-Match', async () => {
    const token = await anonymousToken(t.app);
    const first = (await call('POST', '/v1/shoppers/me/carts/active', token, 'productId=1001&quantity=1')).json() as CartDoc;
    const v = first.cart.version;
    const ok = await call('POST', '/v1/shoppers/me/carts/active', token, `productId=1002&quantity=1&version=${v}`);
    assert.equal(ok.statusCode, 200);
    const stale = await call('POST', '/v1/shoppers/me/carts/active', token, `productId=1003&quantity=1&version=${v}`);
    assert.equal(stale.statusCode, 409);
    assert.equal(errorCode(stale.body), 'concurrent-cart-modification-failure');
    const staleHeader = await call('DELETE', '/v1/shoppers/me/carts/active/line-items', token, undefined, { 'if-match': `"${v}"` });
    assert.equal(staleHeader.statusCode, 409);
    const submitStale = await call('POST', `/v1/shoppers/me/carts/active/submit-cart?version=${v}`, token);
    assert.equal(submitStale.statusCode, 409);
    const now = (await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc;
    assert.equal(now.cart.lineItems.lineItem.length, 2);
  });

  it('submit-cart makes an order and a new empty cart; orders need a full token', async () => {
    const limited = await anonymousToken(t.app);
    const emptySubmit = await call('POST', '/v1/shoppers/me/carts/active/submit-cart', limited);
    assert.equal(emptySubmit.statusCode, 409);
    await call('POST', '/v1/shoppers/me/carts/active', limited, 'productId=1002&quantity=2');
    const before = (await call('GET', '/v1/shoppers/me/carts/active', limited)).json() as CartDoc;
    const submitted = await call('POST', '/v1/shoppers/me/carts/active/submit-cart', limited);
    assert.equal(submitted.statusCode, 200);
    assert.equal(submitted.json().submitCart.order.pricing.orderTotal.value, '69.00');
    const after1 = (await call('GET', '/v1/shoppers/me/carts/active', limited)).json() as CartDoc;
    assert.notEqual(after1.cart.id, before.cart.id);
    assert.equal(after1.cart.lineItems.lineItem.length, 0);
    const forbidden = await call('GET', '/v1/shoppers/me/orders', limited);
    assert.equal(forbidden.statusCode, 403);
    assert.equal(errorCode(forbidden.body), 'forbidden');

    const full = await fullToken(t.app);
    await call('POST', '/v1/shoppers/me/carts/active', full, 'productId=1001&quantity=1');
    const order = (await call('POST', '/v1/shoppers/me/carts/active/submit-cart.json', full)).json().submitCart.order;
    const orders = await call('GET', '/v1/shoppers/me/orders', full);
    assert.equal(orders.statusCode, 200);
    assert.ok(orders.json().orders.order.some((o: { id: string }) => o.id === order.id));
    const one = await call('GET', `/v1/shoppers/me/orders/${order.id}`, full);
    assert.equal(one.json().order.pricing.orderTotal.value, '19.99');
    const missing = await call('GET', '/v1/shoppers/me/orders/nope', full);
    assert.equal(missing.statusCode, 404);
  });

  it('401 invalid_token with WWW-Authenticate for a missing, forged or revoked token; 403 for another site', async () => {
    const none = await call('GET', '/v1/shoppers/me/carts/active', null);
    assert.equal(none.statusCode, 401);
    assert.match(none.headers['www-authenticate'] as string, /Bearer error="invalid_token"/);
    const forged = await call('GET', '/v1/shoppers/me/carts/active', 'ab'.repeat(32));
    assert.equal(forged.statusCode, 401);
    assert.equal((forged.json() as ErrorDoc).errors.error[0]!.description, 'Invalid token for specified shopper');
    const webForged = await call('GET', '/v1/shoppers/me/carts/active/web-checkout', 'ab'.repeat(32));
    assert.equal(webForged.statusCode, 401);
    const token = await anonymousToken(t.app);
    const revoke = await t.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${token}` } });
    assert.equal(revoke.statusCode, 200);
    const revoked = await call('GET', '/v1/shoppers/me/carts/active', token);
    assert.equal(revoked.statusCode, 401);
    assert.equal((revoked.json() as ErrorDoc).errors.error[0]!.description, 'Token revoked');
    const other = await anonymousToken(t.app);
    const cross = await call('GET', '/v1/shoppers/me/carts/active?apiKey=beta-public', other);
    assert.equal(cross.statusCode, 403);
    assert.equal(errorCode(cross.body), 'forbidden');
  });

  it('web-checkout answers 302 to the hosted cart page with a fresh handoff code; POST applies the cart body first', async () => {
    const token = await anonymousToken(t.app);
    const get = await call('GET', '/v1/shoppers/me/carts/active/web-checkout', token);
    assert.equal(get.statusCode, 302);
    assert.match(get.headers.location as string, /^http:\/\/store\.test\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage\?handoff=[0-9a-f]{64}$/);
    const post = await call('POST', '/v1/shoppers/me/carts/active/web-checkout', token, 'productId=1003&quantity=4');
    assert.equal(post.statusCode, 302);
    assert.notEqual(post.headers.location, get.headers.location);
    const cart = (await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc;
    assert.equal(cart.cart.lineItems.lineItem[0]!.quantity, 4);
    const bad = await call('POST', '/v1/shoppers/me/carts/active/web-checkout', token, 'productId=1003&quantity=0');
    assert.equal(bad.statusCode, 400);
    // The code is stored only as a hash.
    const code = new URL(post.headers.location as string).searchParams.get('handoff')!;
    const hashes = await storedHandoffHashes(t.db);
    assert.ok(hashes.every((hash) => !hash.includes(code)));
  });

  it('accepts a Global Commerce JSON cart body on POST carts/active and web-checkout, all or nothing', async () => {
    const token = await anonymousToken(t.app);
    const json = { ...bearer(token), 'content-type': 'application/json' };
    const body = { cart: { lineItems: { lineItem: [{ quantity: 2, product: { id: '1001' } }, { quantity: '1', product: { id: 1002 } }] } } };
    const res = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: json, payload: JSON.stringify(body) });
    assert.equal(res.statusCode, 200, res.body);
    const cart = (res.json() as CartDoc).cart;
    assert.deepEqual(cart.lineItems.lineItem.map((l) => [l.product.id, l.quantity]).sort(), [['1001', 2], ['1002', 1]]);
    const mixed = { cart: { lineItems: { lineItem: [{ quantity: 1, product: { id: '1003' } }, { quantity: 1, product: { id: 'nope' } }] } } };
    const bad = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers: json, payload: JSON.stringify(mixed) });
    assert.equal(bad.statusCode, 404);
    const badQty = { cart: { lineItems: { lineItem: { quantity: 1.5, product: { id: '1003' } } } } };
    const bad2 = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: json, payload: JSON.stringify(badQty) });
    assert.equal(bad2.statusCode, 400);
    const noAuth = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { 'content-type': 'application/json', accept: 'application/json' }, payload: JSON.stringify(badQty) });
    assert.equal(noAuth.statusCode, 401);
    const after1 = (await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc;
    assert.equal(after1.cart.version, cart.version);
    const wc = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers: json, payload: JSON.stringify({ cart: { lineItems: { lineItem: [{ quantity: 1, product: { id: '1003' } }] } } }) });
    assert.equal(wc.statusCode, 302);
    assert.equal(((await call('GET', '/v1/shoppers/me/carts/active', token)).json() as CartDoc).cart.lineItems.lineItem.length, 3);
  });

  it('never answers 5xx to odd input', async () => {
    const token = await anonymousToken(t.app);
    const odd = ['', ' ', '%00', 'x'.repeat(300), '../../etc/passwd', '<script>', '1;DROP TABLE carts', '\u202e', '1001.json', '%E2%80%A8'];
    const urls = [
      '/v1/shoppers/me/products/', '/v1/shoppers/me/carts/active/line-items/', '/v1/shoppers/me/orders/'
    ];
    for (const value of odd) {
      for (const base of urls) {
        const res = await t.app.inject({ method: 'GET', url: base + encodeURIComponent(value), headers: bearer(token) });
        assert.ok(res.statusCode < 500, `${base}${value}: ${res.statusCode}`);
      }
      for (const body of [`productId=${encodeURIComponent(value)}&quantity=1`, `productId=1001&quantity=${encodeURIComponent(value)}`, `version=${encodeURIComponent(value)}&productId=1001`]) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: body });
        assert.ok(res.statusCode < 500, `${body}: ${res.statusCode} ${res.body}`);
      }
      const page = await t.app.inject({ method: 'GET', url: `/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage?handoff=${encodeURIComponent(value)}` });
      assert.ok(page.statusCode < 500, `handoff ${value}: ${page.statusCode}`);
    }
    for (const payload of ['{', '[]', '{"cart":null}', '{"cart":{"lineItems":{"lineItem":[null]}}}', '{"productId":{"a":1}}', '{"cart":"x"}']) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), 'content-type': 'application/json' }, payload });
      assert.ok(res.statusCode < 500, `${payload}: ${res.statusCode} ${res.body}`);
    }
    const repeated = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=1001&productId=1002', headers: bearer(token) });
    assert.equal(repeated.statusCode, 400);
    const xmlError = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/products/nope', headers: { authorization: `Bearer ${token}` } });
    assert.equal(xmlError.statusCode, 404);
    assert.match(xmlError.body, /<code>resource-not-found<\/code>/);
  });
});
}
