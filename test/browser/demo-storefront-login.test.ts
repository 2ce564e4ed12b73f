import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, listeningDemo } from './browser.js';

const JANE = { username: 'jane', password: 'Correct-Horse-9' };

/**
 * Signing in on the demo storefront (issue 16): the storefront's server runs the password grant
 * with its confidential key and the limited token it holds on the browser's session, so the cart
 * carries over; the browser follows the re-keyed session at checkout. The form is protected
 * against cross-site posts and everything it renders is escaped.
 */
describe('demo storefront: sign-in', () => {
  let apiBase: string;
  let shopBase: string;
  let browser: Browser;
  let closeDemo: (() => Promise<void>) | undefined;

  before(async () => {
    ({ apiBase, shopBase, close: closeDemo } = await listeningDemo());
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await closeDemo?.();
  });

  /** The storefront page as a browser without JavaScript gets it: its cookie and the form's CSRF token. */
  async function formPage(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${shopBase}/`);
    const set = res.headers.get('set-cookie') ?? '';
    const cookie = /storefront_sid=[0-9a-f]+/.exec(set)?.[0];
    assert.ok(cookie !== undefined, `a storefront cookie is set: ${set}`);
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(await res.text())?.[1];
    assert.ok(csrf !== undefined, 'the sign-in form carries a CSRF token');
    return { cookie, csrf };
  }

  function post(path: string, cookie: string | null, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${shopBase}${path}`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie === null ? {} : { cookie }), ...headers },
      body: new URLSearchParams(form).toString()
    });
  }

  it('refuses a sign-in post without the form\'s token or from another origin; the form, posted properly, signs in under a new cookie', async () => {
    const { cookie, csrf } = await formPage();
    const refusals = [
      await post('/login', null, { ...JANE, csrf }),
      await post('/login', cookie, { ...JANE }),
      await post('/login', cookie, { ...JANE, csrf: csrf.replace(/^./, (c) => (c === '0' ? '1' : '0')) }),
      await post('/login', cookie, { ...JANE, csrf }, { origin: 'http://evil.example' }),
      await post('/login', cookie, { ...JANE, csrf }, { 'sec-fetch-site': 'cross-site' }),
      await post('/logout', cookie, {}, {})
    ];
    for (const res of refusals) {
      assert.equal(res.status, 403);
      assert.match(await res.text(), /did not come from this shop/);
    }
    const page = await (await fetch(`${shopBase}/`, { headers: { cookie } })).text();
    assert.doesNotMatch(page, /Signed in as/);
    assert.match(page, /id="signin"/);

    // The same form, posted properly, signs in (no JavaScript needed).
    const ok = await post('/login', cookie, { ...JANE, csrf }, { origin: shopBase, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/');
    // A new storefront cookie names the signed-in shopper; the one from before names nobody.
    const fresh = /storefront_sid=[0-9a-f]+/.exec(ok.headers.get('set-cookie') ?? '')?.[0];
    assert.ok(fresh !== undefined && fresh !== cookie, 'the storefront cookie is renewed at sign-in');
    const before = await (await fetch(`${shopBase}/`, { headers: { cookie } })).text();
    assert.doesNotMatch(before, /Signed in as/);
    assert.equal((await fetch(`${shopBase}/checkout`, { headers: { cookie }, redirect: 'manual' })).headers.get('location'), '/');
    const signedIn = await (await fetch(`${shopBase}/`, { headers: { cookie: fresh } })).text();
    assert.match(signedIn, /Signed in as <strong>Jane<\/strong>/);
    assert.doesNotMatch(signedIn, /<form id="signin"/);
    // Checkout works for it too: the web-checkout redirect to the hosted cart.
    const checkout = await fetch(`${shopBase}/checkout`, { headers: { cookie: fresh }, redirect: 'manual' });
    assert.equal(checkout.status, 302);
    assert.match(checkout.headers.get('location') ?? '', /\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage\?handoff=/);
  });

  it('a refused sign-in says why, keeps the typed username, and escapes it', async () => {
    const { cookie, csrf } = await formPage();
    const hostile = `<img src=x onerror="alert(1)">'&`;
    const res = await post('/login', cookie, { username: hostile, password: 'wrong', csrf });
    assert.equal(res.status, 303);
    const html = await (await fetch(`${shopBase}/`, { headers: { cookie } })).text();
    assert.match(html, /That username and password do not match an account/);
    assert.ok(html.includes('value="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;"'), 'the username comes back, escaped');
    assert.ok(!html.includes('<img src=x'), 'nothing typed becomes markup');
    assert.doesNotMatch(html, /Signed in as/);
    // The message is shown once.
    assert.doesNotMatch(await (await fetch(`${shopBase}/`, { headers: { cookie } })).text(), /do not match an account/);
  });

  it('a shopper signs in with jane: the cart carries over, survives a reload, goes to checkout, and the order is Jane\'s', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${shopBase}/`);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '1 × Widget' }).waitFor();
    await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '1 × Gizmo' }).waitFor();
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '2 × Widget' }).waitFor();
    const guestCart = await page.locator('#cart').innerText();

    await page.getByLabel('Username').fill(JANE.username);
    await page.getByLabel('Password').fill(JANE.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signed-in').filter({ hasText: 'Signed in as Jane' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Your cart came with you' }).waitFor();
    await page.locator('#cart table').filter({ hasText: '2 × Widget' }).waitFor();
    assert.equal(await page.locator('#cart').innerText(), guestCart, 'the same lines and subtotal');
    assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0);

    // A reload keeps the signed-in shopper and the cart: the browser's store cookie died with the
    // re-keying, and the storefront does not swap its session for the fresh one that cookie gets.
    await page.reload();
    await page.locator('#signed-in').filter({ hasText: 'Signed in as Jane' }).waitFor();
    await page.locator('#cart table').filter({ hasText: '2 × Widget' }).waitFor();

    // Checkout brings the browser along to the signed-in session.
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL((url) => url.origin === apiBase && url.pathname.endsWith('DisplayThreePgCheckoutShoppingCartPage'));
    assert.ok(!page.url().includes('handoff='));
    assert.equal(await page.getByLabel('Quantity of Widget').inputValue(), '2');
    assert.equal(await page.getByLabel('Quantity of Gizmo').inputValue(), '1');
    await page.getByRole('link', { name: 'Continue to checkout' }).click();
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
    const orderId = (await page.locator('#order-id').innerText()).trim();
    assert.match(await page.locator('table').innerText(), /Widget[\s\S]*Gizmo|Gizmo[\s\S]*Widget/);

    // The order belongs to Jane's account: her own sign-in, elsewhere, lists it.
    const token = await fetch(`${apiBase}/oauth20/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('acme-app:app-secret-123').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', ...JANE }).toString()
    });
    assert.equal(token.status, 200);
    const { access_token: accessToken } = await token.json() as { access_token: string };
    const orders = await fetch(`${apiBase}/v1/shoppers/me/orders?format=json`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(orders.status, 200);
    const ids = ((await orders.json()) as { orders: { order: Array<{ id: string }> } }).orders.order.map((o) => o.id);
    assert.ok(ids.includes(orderId), `order ${orderId} is among Jane's: ${ids.join(', ')}`);

    // Back on the storefront: still Jane, and the cart is empty after the order.
    await page.goto(`${shopBase}/`);
    await page.locator('#signed-in').filter({ hasText: 'Signed in as Jane' }).waitFor();
    await page.locator('#cart').filter({ hasText: 'Empty.' }).waitFor();

    // Sign-out forgets Jane's token and starts a fresh guest session.
    await page.getByRole('button', { name: 'Add Gadget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '1 × Gadget' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').filter({ hasText: 'Signed out' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.locator('#cart').filter({ hasText: 'Empty.' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Checkout' }).isDisabled());
    // The browser's store cookie names Jane's session since checkout; a reload must not join it.
    await page.reload();
    await page.getByRole('button', { name: 'Add Gadget to cart' }).waitFor();
    await page.locator('#cart').filter({ hasText: 'Empty.' }).waitFor();
    assert.equal(await page.locator('#signed-in').count(), 0);
    // The guest session works: a product goes in.
    await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '1 × Gizmo' }).waitFor();
    assert.doesNotMatch(await page.locator('#cart').innerText(), /Gadget/);

    // A storefront that forgot this browser (its cookie gone) joins the browser's store session
    // again, which is Jane's signed-in one since checkout: its limited token may not read her
    // profile, and the shop still lists products and her cart (the Gadget added before sign-out).
    await context.clearCookies({ name: 'storefront_sid' });
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.locator('#products .price').first().waitFor();
    assert.match(await page.locator('#products').innerText(), /Widget\s*\$19\.99/);
    await page.locator('#cart table').filter({ hasText: '1 × Gadget' }).waitFor();
    assert.equal(await page.locator('#status.error').count(), 0);

    assert.deepEqual(errors, []);
    await context.close();
  });
});
