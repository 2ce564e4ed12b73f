// A product name full of markup on every hosted page that shows it: the cart's line (its cell, the
// quantity label and the remove button), the payment page's summary and the thank-you page. Each
// place is checked on its own, so dropping the escaping in any one of them fails here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { BACKENDS, BASIC, buildTestApp, tokenRequest } from '../support/helpers.js';

const EVIL = `<img src=x onerror="alert('x')">&`;
const ESCAPED = '&#60;img src&#61;x onerror&#61;&#34;alert(&#39;x&#39;)&#34;&#62;&#38;';
const SITE = DEMO_SEED.sites[0]!;
const SEED: Seed = { sites: [{ ...SITE, products: [{ id: '6666', name: EVIL, price: '2.50' }] }] };
const CART = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';
const PAY = '/store/acme/en_US/DisplayThreePgCheckoutAddressPaymentInfoPage';
const THANKS = '/store/acme/en_US/ThankYouPage';

for (const backend of BACKENDS) describe(`on ${backend}`, () => {
  test('a product name with markup is escaped on the cart line, the payment summary and the thank-you page', async (t) => {
    const { app } = await buildTestApp(t, { backend, seed: SEED });
    const token = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json().access_token as string;
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const added = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=6666&quantity=2', headers });
    assert.equal(added.statusCode, 200, added.body);
    const checkout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers });
    const handoff = new URL(checkout.headers.location as string);
    const seated = await app.inject({ method: 'GET', url: handoff.pathname + handoff.search });
    const cookie = `SLSESSION=${seated.cookies.find((c) => c.name === 'SLSESSION')!.value}`;

    const cart = (await app.inject({ method: 'GET', url: CART, headers: { cookie } })).body;
    const line = /<tr>\n<td>(.*?)<\/tr>/s.exec(cart)?.[0] ?? '';
    assert.ok(line.includes(`<td>${ESCAPED} <span class="muted">#6666</span></td>`), line);
    assert.ok(line.includes(`>Quantity of ${ESCAPED}</label>`), line);
    assert.ok(line.includes(`aria-label="Remove ${ESCAPED}"`), line);

    const pay = (await app.inject({ method: 'GET', url: PAY, headers: { cookie } })).body;
    const summary = /<ul>(.*?)<\/ul>/s.exec(pay)?.[1] ?? '';
    assert.ok(summary.startsWith(`<li>2 × ${ESCAPED} — `), summary);

    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(pay)![1]!;
    const version = /name="version" value="([0-9]+)"/.exec(pay)![1]!;
    const placed = await app.inject({
      method: 'POST', url: PAY, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        csrf, version, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', line1: '1 Road', city: 'London',
        postalCode: 'N1', country: 'GB', cardNumber: '4111111111111111', expiry: '12/30', cvv: '123'
      }).toString()
    });
    assert.equal(placed.statusCode, 303, placed.body);
    const thanks = (await app.inject({ method: 'GET', url: THANKS, headers: { cookie } })).body;
    assert.ok(thanks.includes(`<tr><td>${ESCAPED}</td><td class="num">2</td>`), thanks);

    for (const page of [cart, pay, thanks]) {
      assert.ok(!page.includes('<img'), 'no raw markup from the product name');
      assert.ok(!page.includes(`alert('x')`));
    }
  });
});
