import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, listeningDemo } from './browser.js';

/**
 * The demo storefront without rough edges (issue 16), seen in headless Chromium: a disabled
 * Checkout that looks disabled, focus that stays put after "Add to cart", a page that says what
 * to do with JavaScript off, prices written as the hosted pages write them, and a failed add
 * that says why and what to do.
 */
describe('demo storefront: the rough edges', () => {
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

  /** A new shopper (own cookies) on the storefront, connected to the store, products listed. */
  async function shopper(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${shopBase}/`);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('button', { name: 'Add Widget to cart' }).waitFor();
    await page.locator('#cart').filter({ hasText: 'Empty.' }).waitFor();
    return { context, page, errors };
  }

  function looks(page: Page, selector: string): Promise<Record<string, string>> {
    return page.locator(selector).evaluate((el) => {
      const s = getComputedStyle(el);
      return { background: s.backgroundColor, color: s.color, cursor: s.cursor, opacity: s.opacity };
    });
  }

  it('the Checkout button of an empty cart is disabled and looks it', async () => {
    const { context, page, errors } = await shopper();
    const checkout = page.getByRole('button', { name: 'Checkout' });
    assert.ok(await checkout.isDisabled());
    const disabled = await looks(page, '#checkout');
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: 'Widget' }).waitFor();
    assert.ok(await checkout.isEnabled());
    const enabled = await looks(page, '#checkout');
    assert.notEqual(disabled.background, enabled.background, `background: disabled ${disabled.background}, enabled ${enabled.background}`);
    assert.notEqual(disabled.cursor, enabled.cursor);
    assert.equal(enabled.cursor, 'pointer');
    // The disabled button says why, and the hint goes once the cart has something in it.
    assert.equal(await page.locator('#checkout-hint').isVisible(), false);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('keyboard focus stays on "Add to cart" and the result is announced in a live region', async () => {
    const { context, page, errors } = await shopper();
    const add = page.getByRole('button', { name: 'Add Gadget to cart' });
    await add.focus();
    await page.keyboard.press('Enter');
    await page.locator('#cart table').filter({ hasText: '1 × Gadget' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Added Gadget' }).waitFor();
    const focused = await page.evaluate(() => ({ tag: document.activeElement?.tagName, label: document.activeElement?.getAttribute('aria-label') ?? null }));
    assert.deepEqual(focused, { tag: 'BUTTON', label: 'Add Gadget to cart' });
    // Enter again on the same, still focused button adds another.
    await page.keyboard.press('Enter');
    await page.locator('#cart table').filter({ hasText: '2 × Gadget' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Add Gadget to cart');
    const live = page.locator('#status');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.match(await live.innerText(), /Added Gadget\. Your cart: 2 items/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('with JavaScript off the page says what works and links to the store\'s own cart page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shopBase}/`);
    const note = page.locator('#noscript');
    assert.ok(await note.isVisible(), 'the noscript note shows');
    assert.match(await note.innerText(), /needs JavaScript/);
    assert.equal(await page.getByText('Loading…').first().isVisible(), false, 'no "Loading…" that never ends');
    assert.equal(await page.getByText('Connecting to the store…').isVisible(), false);
    await page.getByRole('link', { name: 'open your cart at the store' }).click();
    await page.waitForURL((url) => url.origin === apiBase);
    assert.equal(await page.getByRole('heading', { name: 'Your cart' }).isVisible(), true);
    // The store's page works without JavaScript: a product goes into the cart.
    await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
    await page.getByLabel('Quantity of Gizmo').waitFor();

    // Signing in on the storefront works without JavaScript too, and Checkout then reaches the store.
    await page.goto(`${shopBase}/`);
    await page.getByLabel('Username').fill('jane');
    await page.getByLabel('Password').fill('Correct-Horse-9');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signed-in').filter({ hasText: 'Signed in as Jane' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Checkout' }).isEnabled());
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL((url) => url.origin === apiBase && url.pathname.endsWith('DisplayThreePgCheckoutShoppingCartPage'));
    assert.equal(await page.getByRole('heading', { name: 'Your cart' }).isVisible(), true);
    await context.close();
  });

  it('prices read as on the hosted pages', async () => {
    const { context, page, errors } = await shopper();
    const shopPrices = new Map<string, string>();
    for (const li of await page.locator('#products li').all()) {
      const name = await li.locator('span').first().evaluate((el) => el.firstChild?.textContent ?? '');
      shopPrices.set(name.trim(), (await li.locator('.price').innerText()).trim());
    }
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: 'Widget' }).waitFor();
    await page.getByRole('button', { name: 'Add Gizmo to cart' }).click();
    await page.locator('#cart table').filter({ hasText: 'Gizmo' }).waitFor();
    const shopSubtotal = (await page.locator('#cart tr.total td.n').innerText()).trim();

    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL((url) => url.origin === apiBase);
    const hostedPrices = new Map<string, string>();
    for (const product of await page.locator('.products .product').all()) {
      hostedPrices.set((await product.locator('strong').innerText()).trim(), (await product.locator('.muted').innerText()).trim());
    }
    assert.ok(hostedPrices.size >= 3, 'the hosted page lists the catalogue');
    assert.deepEqual(shopPrices, hostedPrices);
    assert.equal(shopSubtotal, (await page.locator('#subtotal').innerText()).trim());
    assert.doesNotMatch([...shopPrices.values()].join(' '), /USD/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a failed add says what the store said and what to do', async () => {
    const { context, page, errors } = await shopper();
    await page.getByRole('button', { name: 'Add Widget to cart' }).click();
    await page.locator('#cart table').filter({ hasText: '1 × Widget' }).waitFor();
    // The shopper fills the cart to the store's limit on the hosted cart page (same store session).
    const hosted = await context.newPage();
    await hosted.goto(`${apiBase}/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage`);
    await hosted.getByLabel('Quantity of Widget').fill('999');
    await hosted.getByRole('button', { name: 'Update' }).click();
    await hosted.locator('#subtotal').filter({ hasText: '19,970.01' }).waitFor();
    await hosted.close();

    await page.reload();
    await page.locator('#cart table').filter({ hasText: '999 × Widget' }).waitFor();
    const add = page.getByRole('button', { name: 'Add Widget to cart' });
    await add.click();
    const status = page.getByRole('status');
    await page.locator('#status.error').waitFor();
    const text = await status.innerText();
    assert.match(text, /^Could not add Widget to your cart\./);
    assert.match(text, /Quantity must be a whole number from 1 to 999/, 'the API\'s description');
    assert.match(text, /Check the quantities in your cart/, 'what to do');
    assert.doesNotMatch(text, /Could not add: \d+/);
    // The button works again and kept focus.
    assert.equal(await add.getAttribute('aria-disabled'), null);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Add Widget to cart');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
