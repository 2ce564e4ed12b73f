import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousToken, bearer, makeApp } from '../support/cart-helpers.js';
import { BACKENDS, type TestApp } from '../support/helpers.js';
import { CART, PageBrowser, PAY, THANKS } from '../support/page-browser.js';
import { COUNTRY_CODES } from '../../src/hosted-checkout/countries.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BRAND = /<header><div class="bar"><a class="brand" href="\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage">Acme Store<\/a>/;

for (const backend of BACKENDS) {
describe(`Hosted pages that look finished [${backend}]`, () => {
  let t: TestApp;
  before(async () => { t = await makeApp({}, backend); });
  after(async () => { await t.close(); });

  /** A browser on the payment page with a Gadget in its cart; the page's CSRF field and cart version. */
  async function atPayment(ip: string): Promise<{ b: PageBrowser; form: Record<string, string> }> {
    const b = new PageBrowser(t, ip);
    const csrf = await b.csrf();
    assert.equal((await b.post(CART, { csrf, action: 'add', productId: '1002', quantity: '1' })).statusCode, 303);
    const page = await b.get(PAY);
    const version = /name="version" value="([0-9]+)"/.exec(page.body)![1]!;
    return { b, form: {
      csrf, version, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', line1: '12 Analytical St', city: 'London',
      postalCode: 'N1', country: 'GB', cardNumber: '4111 1111 1111 1111', expiry: '12/30', cvv: '123'
    } };
  }

  it('error pages are the store\'s pages: status, header, the reason and a way back to the cart', async () => {
    const b = new PageBrowser(t, '10.1.0.1');
    const missing = await b.get('/store/acme/en_US/NoSuchPage');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] as string, /text\/html/);
    assert.match(missing.headers['content-security-policy'] as string, /default-src 'none'/);
    assert.match(missing.body, BRAND);
    assert.match(missing.body, /<h1>Page not found<\/h1>/);
    assert.match(missing.body, /<a class="button primary" id="back-to-cart" href="\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage">/);
    assert.match(missing.body, /<style>/);
    // An unknown store: the same frame, no link into a store that does not exist.
    const noStore = await b.get('/store/nosite/en_US/ThankYouPage');
    assert.equal(noStore.statusCode, 404);
    assert.match(noStore.body, /<span class="brand">Store<\/span>/);
    assert.match(noStore.body, /Unknown store &#34;nosite&#34;/);
    assert.doesNotMatch(noStore.body, /back-to-cart/);
    // A form without a session: 403, the store's page.
    const forbidden = await new PageBrowser(t, '10.1.0.2').post(CART, { action: 'add', productId: '1001', quantity: '1' });
    assert.equal(forbidden.statusCode, 403);
    assert.match(forbidden.body, BRAND);
    assert.match(forbidden.body, /Error 403/);
    // The thank-you page takes no form: 405 with Allow, styled.
    const csrf = await b.csrf(CART);
    const notAllowed = await b.post(THANKS, { csrf, action: 'add' });
    assert.equal(notAllowed.statusCode, 405);
    assert.equal(notAllowed.headers.allow, 'GET');
    assert.match(notAllowed.body, BRAND);
    // A spent or unknown handoff link: the browser's own page, in the frame, with the notice.
    const spent = await b.get(`${CART}?handoff=${'0'.repeat(64)}`);
    assert.equal(spent.statusCode, 200);
    assert.match(spent.body, BRAND);
    assert.match(spent.body, /class="notice" role="status">That checkout link has expired or was already used/);
  });

  it('a CSRF failure on the payment form shows the form again with what was typed, except the card number and code', async () => {
    const { b, form } = await atPayment('10.1.1.1');
    const res = await b.post(PAY, { ...form, csrf: 'f'.repeat(64), cardNumber: '4111111111111111', cvv: '987' });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /role="alert">This form had expired[^<]*Enter the card number and security code again\./);
    for (const [name, value] of [['firstName', 'Ada'], ['lastName', 'Lovelace'], ['email', 'ada@example.com'], ['line1', '12 Analytical St'], ['city', 'London'], ['postalCode', 'N1']]) {
      assert.match(res.body, new RegExp(`id="f-${name}" name="${name}"[^>]*value="${value}"`), name);
    }
    assert.match(res.body, /<option value="GB" selected>United Kingdom<\/option>/);
    assert.match(res.body, /id="f-cardNumber" name="cardNumber"[^>]*value=""/);
    assert.match(res.body, /id="f-cvv" name="cvv"[^>]*value=""/);
    assert.doesNotMatch(res.body, /4111111111111111|987/);
    // Nothing was ordered; the re-rendered form's own field places the order.
    assert.match((await b.get(THANKS)).body, /No order has been placed/);
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(res.body)![1]!;
    assert.equal((await b.post(PAY, { ...form, csrf })).statusCode, 303);
  });

  it('field-level errors on the payment form, a country list checked on the server, and the card expiry checked', async () => {
    const { b, form } = await atPayment('10.1.2.1');
    const page = await b.get(PAY);
    const options = [...page.body.matchAll(/<option value="([A-Z]{2})"/g)].map((m) => m[1]);
    assert.equal(options.length, COUNTRY_CODES.length);
    assert.deepEqual([...options].sort(), [...COUNTRY_CODES].sort());
    assert.match(page.body, /<option value="US" selected>United States<\/option>/, 'the page locale\'s country is preselected');
    const bad = await b.post(PAY, { ...form, email: 'not-an-address', country: 'XX', cardNumber: '4111111111111112', expiry: '13/30' });
    assert.equal(bad.statusCode, 400);
    for (const [name, message] of [['email', 'E-mail is not valid'], ['cardNumber', 'Card number is not valid'], ['expiry', 'Expiry month must be 01 to 12']]) {
      assert.match(bad.body, new RegExp(`aria-invalid="true" aria-describedby="e-${name}"><p class="field-error" id="e-${name}">${message}</p>`), name);
    }
    assert.match(bad.body, /<select id="f-country" name="country" autocomplete="country" required aria-invalid="true" aria-describedby="e-country"><option value="">Choose a country<\/option>/);
    assert.match(bad.body, /<\/select><p class="field-error" id="e-country">Choose a country from the list<\/p>/);
    assert.match(bad.body, /Please correct the 4 fields marked below/);
    assert.doesNotMatch(bad.body, /id="e-firstName"/);
    // The test clock is 1 January 2026: December 2025 is past, January 2026 is still good.
    const expired = await b.post(PAY, { ...form, expiry: '12/25' });
    assert.equal(expired.statusCode, 400);
    assert.match(expired.body, /id="e-expiry">This card has expired: check the expiry date</);
    for (const expiry of ['1/30', '12/3', 'ab/cd', '00/30']) {
      assert.equal((await b.post(PAY, { ...form, expiry })).statusCode, 400, expiry);
    }
    assert.match((await b.get(THANKS)).body, /No order has been placed/);
    const placed = await b.post(PAY, { ...form, country: 'gb', expiry: '01/26' });
    assert.equal(placed.statusCode, 303);
    const thanks = await b.get(THANKS);
    assert.match(thanks.body, /<br>GB<\/p>/);
  });

  it('a favicon the CSP allows, and prices as "$34.50" on every page', async () => {
    const { b, form } = await atPayment('10.1.3.1');
    const cart = await b.get(CART);
    const icon = /<link rel="icon" type="image\/svg\+xml" href="(data:image\/svg\+xml,[^"]+)">/.exec(cart.body);
    assert.ok(icon, 'an inline favicon');
    assert.match(decodeURIComponent(icon[1]!.replace(/&#([0-9]+);/g, (_m, c: string) => String.fromCharCode(Number(c)))), /^data:image\/svg\+xml,<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(cart.headers['content-security-policy'] as string, /img-src 'self' data:/);
    assert.match(cart.body, /id="subtotal">\$34\.50</);
    assert.match(cart.body, /\$19\.99/);
    assert.doesNotMatch(cart.body, /USD/);
    assert.match((await b.get(PAY)).body, /id="total">\$34\.50</);
    await b.post(PAY, form);
    assert.match((await b.get(THANKS)).body, /id="total">\$34\.50</);
    // The app's API keeps its own number format.
    const token = await anonymousToken(t.app);
    const api = await t.app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...bearer(token), ...FORM }, payload: 'productId=1002&quantity=1' });
    assert.equal(api.statusCode, 200);
  });
});
}
