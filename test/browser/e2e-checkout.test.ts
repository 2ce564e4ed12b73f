import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, listeningApp } from './browser.js';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import type { TestApp } from '../support/helpers.js';
import { SEED } from '../support/cart-helpers.js';


const ARTIFACTS = 'test-artifacts';
const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');

describe('e2e: SessionToken JSONP → exchange → API cart → web-checkout → hosted pages → order', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let browser: Browser;
  let base: string;

  before(async () => {
    ({ app, db, base: base } = await listeningApp(SEED));
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
  });

  it('walks the whole checkout in a real browser', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text()); });
    // A storefront page on the store's origin that includes the site action as JSONP.
    await page.route(`${base}/storefront.html`, (route) => route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>Storefront</title><script>window.got=function(d){window.sessionToken=d.session_token;}</script>
<script src="${base}/store/acme/SessionToken?callback=got"></script>`
    }));
    await page.goto(`${base}/storefront.html`);
    const sessionToken = await page.waitForFunction(() => (window as unknown as { sessionToken?: string }).sessionToken).then((h) => h.jsonValue()) as string;
    assert.match(sessionToken, /^[0-9A-F]{32}$/);

    // The app's server side: exchange the browser's session token, fill the cart through the API.
    const tokenRes = await fetch(`${base}/oauth20/token`, {
      method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=password&dr_session_token=${sessionToken}`
    });
    assert.equal(tokenRes.status, 200);
    const { access_token: token } = await tokenRes.json() as { access_token: string };
    const auth = { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    for (const body of ['productId=1001&quantity=2', 'productId=1003&quantity=1']) {
      const res = await fetch(`${base}/v1/shoppers/me/carts/active`, { method: 'POST', headers: auth, body });
      assert.equal(res.status, 200);
    }
    const wc = await fetch(`${base}/v1/shoppers/me/carts/active/web-checkout`, { headers: auth, redirect: 'manual' });
    assert.equal(wc.status, 302);
    const location = wc.headers.get('location') as string;
    assert.match(location, /handoff=[0-9a-f]{64}$/);

    // A fresh browser context (no cookie at all) follows the handoff.
    const fresh = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const phone = await fresh.newPage();
    const response = await phone.goto(location);
    assert.equal(response?.status(), 200);
    assert.ok(!phone.url().includes('handoff='), 'the handoff code is gone from the address bar');
    await phone.screenshot({ path: `${ARTIFACTS}/e2e-1-cart.png`, fullPage: true });
    const table = await phone.locator('table').innerText();
    assert.match(table, /Widget/);
    assert.match(table, /Gizmo/);
    assert.equal(await phone.getByLabel('Quantity of Widget').inputValue(), '2');

    // Change a quantity on the page; the API sees it.
    await phone.getByLabel('Quantity of Widget').fill('3');
    await phone.getByRole('row', { name: /Widget/ }).getByRole('button', { name: 'Update' }).click();
    await phone.waitForLoadState();
    const cart = await (await fetch(`${base}/v1/shoppers/me/carts/active`, { headers: auth })).json() as { cart: { lineItems: { lineItem: Array<{ quantity: number; product: { id: string } }> } } };
    assert.equal(cart.cart.lineItems.lineItem.find((l) => l.product.id === '1001')?.quantity, 3);

    await phone.getByRole('link', { name: 'Continue to checkout' }).click();
    await phone.waitForURL(/DisplayThreePgCheckoutAddressPaymentInfoPage/);
    await phone.getByLabel('First name').fill('Ada');
    await phone.getByLabel('Last name').fill('Lovelace');
    await phone.getByLabel('E-mail').fill('ada@example.com');
    await phone.getByLabel('Street address').fill('12 Analytical St');
    await phone.getByLabel('City').fill('London');
    await phone.getByLabel('Postal code').fill('N1 9GU');
    await phone.getByLabel('Country').selectOption('GB');
    await phone.getByLabel('Card number').fill('4111 1111 1111 1111');
    await phone.getByLabel('Expiry (MM/YY)').fill('12/30');
    await phone.getByLabel('Security code').fill('123');
    await phone.screenshot({ path: `${ARTIFACTS}/e2e-2-payment.png`, fullPage: true });
    await phone.getByRole('button', { name: 'Place order' }).click();
    await phone.waitForURL(/ThankYouPage/);
    await phone.screenshot({ path: `${ARTIFACTS}/e2e-3-thank-you.png`, fullPage: true });
    const thanks = await phone.locator('main').innerText();
    assert.match(thanks, /Thank you for your order/);
    assert.match(thanks, /\$67\.22/);
    assert.match(thanks, /ending 1111/);

    // The session now has a new, empty cart on both sides.
    const after1 = await (await fetch(`${base}/v1/shoppers/me/carts/active`, { headers: auth })).json() as { cart: { lineItems: { lineItem: unknown[] } } };
    assert.equal(after1.cart.lineItems.lineItem.length, 0);
    // Replaying the spent link shows the notice, not the order.
    const replay = await page.goto(location);
    assert.equal(replay?.status(), 200);
    assert.match(await page.locator('[role=status]').innerText(), /expired or was already used/);
    assert.deepEqual(violations, []);
    await fresh.close();
    await context.close();
  });
});
