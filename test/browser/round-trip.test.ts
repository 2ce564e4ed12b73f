import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { freePort, launchChromium } from './browser.js';
import { openTestApp, type TestApp } from '../support/helpers.js';
import { DEMO_SEED } from '../support/seed.js';
import { startReceiver, testSecret, type Receiver } from '../support/webhook-receiver.js';
import { Dispatcher } from '../../src/webhooks/dispatcher.js';

const SETTINGS = { timeoutSeconds: 2, maxAttempts: 4, baseDelaySeconds: 1, maxDelaySeconds: 5, pollSeconds: 1 };

/**
 * Issue 16's round trip, clicked through in headless Chromium from the demo storefront's origin:
 * add on the storefront → the hosted cart → sign in there (jane) → the cart carried → order on the
 * payment page → back on the storefront through the thank-you link, the order shown (the storefront's
 * server redeemed the return code). Meanwhile a real HTTP receiver (registered as the site's
 * webhook endpoint in this test's seed) got handoff.redeemed, session.authenticated and
 * order.placed, in that order, each signed (checked with the `standardwebhooks` package); the
 * storefront's own /webhooks got them too and its page says "order placed".
 */
describe('the round trip: storefront → hosted sign-in and order → back on the storefront, with webhooks', () => {
  let api: TestApp;
  let apiBase: string;
  let shopBase: string;
  let storefront: FastifyInstance;
  let dispatcher: Dispatcher;
  let rx: Receiver;
  let browser: Browser;
  const secret = testSecret();
  const shopSecret = testSecret();

  before(async () => {
    rx = await startReceiver();
    const shopPort = await freePort();
    shopBase = `http://127.0.0.1:${shopPort}`;
    const apiPort = await freePort();
    apiBase = `http://127.0.0.1:${apiPort}`;
    const seed = {
      sites: [{
        ...DEMO_SEED.sites[0]!,
        returnUrl: `${shopBase}/return`,
        webhooks: [{ url: rx.url, secret }, { url: `${shopBase}/webhooks`, secret: shopSecret }]
      }]
    };
    api = await openTestApp({ config: { port: apiPort, publicStoreURL: apiBase, publicApiURL: apiBase }, seed, now: Date.now });
    await api.app.listen({ port: apiPort, host: '127.0.0.1' });
    // The server's background sender, as src/start.ts runs it.
    dispatcher = new Dispatcher(api.ctx, SETTINGS);
    dispatcher.start();
    const { startStorefront } = await import('../../examples/storefront/server.js');
    storefront = await startStorefront({
      port: shopPort, host: '127.0.0.1', apiURL: apiBase, storeURL: apiBase, siteId: 'acme',
      apiKey: 'acme-public', appKey: 'acme-app', appSecret: 'app-secret-123',
      returnURL: `${shopBase}/return`, webhookSecret: shopSecret
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await dispatcher?.stop();
    await storefront?.close();
    await api?.close();
    await rx?.close();
  });

  it('carries the cart through a hosted sign-in and an order back to the storefront; the receiver got the events in order, signed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    // On the storefront's origin: the page joins the browser's store session, and adds two products.
    await page.goto(`${shopBase}/`);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: 'Widget' }).waitFor();
    await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
    await page.locator('#cart table').filter({ hasText: 'Gizmo' }).waitFor();

    // Checkout: the storefront's server asks web-checkout with its returnUrl; the browser lands on the hosted cart.
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL((url) => url.origin === apiBase && url.pathname.endsWith('/DisplayThreePgCheckoutShoppingCartPage'));
    assert.equal(await page.locator('#back-to-store').getAttribute('href'), `${shopBase}/return`, 'the hosted pages link back to the storefront');
    const anonymousCart = await page.locator('main').innerText();
    assert.match(anonymousCart, /Widget/);
    assert.match(anonymousCart, /Gizmo/);

    // The storefront open in a second tab follows a change made on the hosted pages: cart.updated
    // reaches its server's /webhooks, the page's poll sees the new version and reads the cart again.
    const shop = await context.newPage();
    const polled = shop.waitForResponse((res) => res.url() === `${shopBase}/api/events`);
    await shop.goto(`${shopBase}/`);
    await shop.locator('#cart').filter({ hasText: '1 × Widget' }).waitFor();
    await polled;
    await page.getByLabel('Quantity of Widget').fill('2');
    await page.getByRole('row', { name: /Widget/ }).getByRole('button', { name: 'Update' }).click();
    await page.waitForLoadState();
    await shop.locator('#cart').filter({ hasText: '2 × Widget' }).waitFor({ timeout: 15_000 });
    await shop.close();

    // Sign in on the hosted page as jane: the session is re-keyed and the cart comes along.
    await page.getByLabel('Username').fill('jane');
    await page.getByLabel('Password').fill('Correct-Horse-9');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signed-in').waitFor();
    assert.match(await page.locator('#signed-in').innerText(), /Jane/);
    const carried = await page.locator('main').innerText();
    assert.match(carried, /Widget/, 'the cart carried through the sign-in');
    assert.match(carried, /Gizmo/, 'the cart carried through the sign-in');

    // The payment page: the order.
    await page.getByRole('link', { name: 'Continue to checkout' }).click();
    await page.waitForURL(/DisplayThreePgCheckoutAddressPaymentInfoPage/);
    await page.getByLabel('First name').fill('Jane');
    await page.getByLabel('Last name').fill('Doe');
    await page.getByLabel('E-mail').fill('jane@example.com');
    await page.getByLabel('Street address').fill('1 Main St');
    await page.getByLabel('City').fill('Springfield');
    await page.getByLabel('Postal code').fill('12345');
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Card number').fill('4111 1111 1111 1111');
    await page.getByLabel('Expiry (MM/YY)').fill('12/30');
    await page.getByLabel('Security code').fill('123');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/ThankYouPage/);
    const continueHref = await page.locator('#continue').getAttribute('href');
    assert.ok(continueHref !== null && continueHref.startsWith(`${shopBase}/return?order=`), `the thank-you link goes back to the storefront: ${continueHref}`);
    const orderId = new URL(continueHref).searchParams.get('order') ?? '';
    assert.match(orderId, /\S/);

    // Back on the storefront: its server redeemed the code (a full token: jane signed in) and shows the order.
    await page.locator('#continue').click();
    await page.waitForURL(`${shopBase}/`);
    assert.equal(await page.locator('#order-id').innerText(), orderId);
    assert.match(await page.locator('#order').innerText(), /Widget/);
    assert.match(await page.locator('#order-total').innerText(), /^\$47\.23$/);
    assert.match(await page.locator('#signed-in').innerText(), /Jane/, 'the storefront now holds jane\'s session');
    // The storefront's own webhook receiver heard order.placed; the page polls and says so.
    await page.locator('#events').filter({ hasText: `Order placed: ${orderId}` }).waitFor({ timeout: 15_000 });
    // The return link is single use: opened again, it is refused and nothing is shown.
    const replay = await page.goto(continueHref);
    assert.equal(replay?.status(), 400);
    assert.match(await page.locator('h1').innerText(), /used already/);

    // The test's receiver: the three events, in order, every one signed with the endpoint's secret.
    const wanted = ['handoff.redeemed', 'session.authenticated', 'order.placed'];
    for (let i = 0; i < 100 && !wanted.every((type) => rx.events(secret).some((e) => e.type === type)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const events = rx.events(secret);
    const positions = wanted.map((type) => events.findIndex((e) => e.type === type));
    assert.ok(positions.every((p) => p >= 0), `received: ${events.map((e) => e.type).join(', ')}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, `in order: ${events.map((e) => e.type).join(', ')}`);
    const [redeemed, authenticated, placed] = positions.map((p) => events[p]!);
    assert.equal(authenticated?.data.sessionId, redeemed?.data.sessionId, 'one session throughout');
    assert.equal(placed?.data.sessionId, redeemed?.data.sessionId, 'one session throughout');
    assert.equal(placed?.data.orderId, orderId);
    // Each delivery's signature checks with the secret, and fails with another one.
    for (const r of rx.received) {
      const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
      assert.doesNotThrow(() => new Webhook(secret).verify(r.body, headers));
      assert.throws(() => new Webhook(shopSecret).verify(r.body, headers));
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('the storefront\'s /webhooks refuses a forged or unsigned delivery and counts a retried one once', async () => {
    const body = JSON.stringify({ type: 'order.placed', timestamp: new Date().toISOString(), data: { siteId: 'acme', sessionId: 'x', orderId: '1', total: '1.00', currency: 'USD' } });
    const id = 'msg_roundtrip_test';
    const ts = new Date();
    const signed = new Webhook(shopSecret).sign(id, ts, body);
    const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)) };
    const post = (extra: Record<string, string>, payload = body): Promise<Response> =>
      fetch(`${shopBase}/webhooks`, { method: 'POST', headers: { ...headers, ...extra }, body: payload });
    const forged = await post({ 'webhook-signature': new Webhook(secret).sign(id, ts, body) });
    assert.equal(forged.status, 400);
    assert.equal((await forged.json() as { code: string }).code, 'invalid_signature');
    const changed = await post({ 'webhook-signature': signed }, body.replace('1.00', '0.01'));
    assert.equal(changed.status, 400, 'a changed body fails the signature');
    const unsigned = await post({});
    assert.equal(unsigned.status, 400);
    assert.equal((await unsigned.json() as { code: string }).code, 'missing_headers');
    const first = await post({ 'webhook-signature': signed });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { ok: true });
    const again = await post({ 'webhook-signature': signed });
    assert.deepEqual(await again.json(), { ok: true, duplicate: true });
    // /return without the store's parameters is refused with a page that says what to do.
    const bare = await fetch(`${shopBase}/return?order=%3Cscript%3E&code=zz`);
    assert.equal(bare.status, 400);
    assert.doesNotMatch(await bare.text(), /<script>/);
  });
});
