import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, listeningDemo } from './browser.js';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { escapeHTML } from '../../examples/storefront/server.js';


const ARTIFACTS = 'test-artifacts';

describe('demo storefront', () => {
  let apiBase: string;
  let shopBase: string;
  let closeDemo: (() => Promise<void>) | undefined;

  before(async () => {
    ({ apiBase, shopBase, close: closeDemo } = await listeningDemo());
    assert.notEqual(shopBase, apiBase);
  });

  after(async () => {
    await closeDemo?.();
  });

  it('escapes HTML', () => {
    assert.equal(escapeHTML(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('serves the page with the docs JSONP call and jQuery', async () => {
    const res = await fetch(`${shopBase}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /dataType: "jsonp"/);
    assert.ok(html.includes(JSON.stringify(`${apiBase}/store/acme/SessionToken?format=json`)));
    assert.ok(!html.includes('app-secret-123'), 'the confidential secret stays on the server');
    const jq = await fetch(`${shopBase}/jquery.js`);
    assert.equal(jq.status, 200);
    assert.match(await jq.text(), /jQuery v3/);
  });

  it('refuses API calls and checkout without a storefront session', async () => {
    assert.equal((await fetch(`${shopBase}/api/cart`)).status, 401);
    assert.equal((await fetch(`${shopBase}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"session_token":"nope"}' })).status, 400);
    assert.equal((await fetch(`${shopBase}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"session_token":"00000000000000000000000000000000"}' })).status, 502);
    const co = await fetch(`${shopBase}/checkout`, { redirect: 'manual' });
    assert.equal(co.status, 302);
    assert.equal(co.headers.get('location'), '/');
  });

  it('a shopper clicks through: JSONP session token → add to cart → Checkout → hosted cart page', async () => {
    const browser: Browser = await launchChromium();
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      const apiCalls: string[] = [];
      page.on('request', (req) => { if (req.url().startsWith(apiBase)) apiCalls.push(req.url()); });
      const tokenBodies: string[] = [];
      page.on('response', (res) => { if (res.url().startsWith(shopBase + '/api/')) void res.text().then((t) => tokenBodies.push(t)).catch(() => undefined); });

      await page.goto(`${shopBase}/`);
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      assert.ok(apiCalls.some((u) => /\/store\/acme\/SessionToken\?format=json&callback=jQuery\d+_\d+&_=\d+$/.test(u)), `JSONP call seen: ${apiCalls.join(', ')}`);
      await page.getByRole('button', { name: 'Add Widget to cart' }).waitFor();
      assert.ok(await page.getByRole('button', { name: 'Checkout' }).isDisabled());

      await page.getByRole('button', { name: 'Add Widget to cart' }).click();
      await page.locator('#cart table').filter({ hasText: 'Widget' }).waitFor();
      await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
      await page.locator('#cart table').filter({ hasText: 'Gizmo' }).waitFor();
      await page.getByRole('button', { name: 'Add Widget to cart' }).click();
      await page.locator('#cart').filter({ hasText: '2 × Widget' }).waitFor();
      assert.match(await page.locator('#cart').innerText(), /\$47\.23/);
      await page.screenshot({ path: `${ARTIFACTS}/storefront-1-shop.png`, fullPage: true });

      // The cart survives a reload (same store session, fresh exchange).
      await page.reload();
      await page.locator('#cart').filter({ hasText: '2 × Widget' }).waitFor();

      await page.getByRole('button', { name: 'Checkout' }).click();
      await page.waitForURL((url) => url.origin === apiBase);
      assert.ok(!page.url().includes('handoff='), 'the handoff code is gone from the address bar');
      await page.screenshot({ path: `${ARTIFACTS}/storefront-2-hosted-cart.png`, fullPage: true });
      const table = await page.locator('table').innerText();
      assert.match(table, /Widget/);
      assert.match(table, /Gizmo/);
      assert.equal(await page.getByLabel('Quantity of Widget').inputValue(), '2');

      assert.deepEqual(errors, []);
      for (const body of tokenBodies) {
        assert.ok(!/access_token|refresh_token/.test(body), 'no token reaches the page');
      }
      await context.close();
    } finally {
      await browser.close();
    }
  });
});
