import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import type { TestApp } from '../support/helpers.js';
import { SEED } from '../support/cart-helpers.js';
import { launchChromium, listeningApp } from './browser.js';

const CART = '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage';

describe('hosted sign-in in a real browser', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let browser: Browser;
  let base: string;

  before(async () => {
    ({ app, db, base } = await listeningApp(SEED));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
  });

  it('signs in on the hosted cart page by filling the form: the cart stays, the page shows the shopper, sign-out works', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text()); });
    await page.goto(`${base}${CART}`);
    await page.getByRole('button', { name: 'Add Gadget to cart' }).click();
    await page.waitForLoadState();
    assert.equal(await page.getByLabel('Quantity of Gadget').inputValue(), '1');
    const cookieBefore = (await context.cookies()).find((c) => c.name === 'SLSESSION')?.value;

    // A wrong password first: the field says so, the username stays, the password does not.
    await page.getByLabel('Username').fill('jane');
    await page.getByLabel('Password').fill('not-it');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    assert.equal(await page.locator('#signin-password-error').innerText(), 'Wrong username or password');
    assert.equal(await page.getByLabel('Username').inputValue(), 'jane');
    assert.equal(await page.getByLabel('Password').inputValue(), '');

    await page.getByLabel('Password').fill('Correct-Horse-9');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}${CART}`);
    assert.equal(await page.locator('#signed-in').innerText(), 'Signed in as Jane Doe');
    assert.equal(await page.getByLabel('Quantity of Gadget').inputValue(), '1', 'the cart came along');
    assert.equal(await page.getByLabel('Username').count(), 0, 'no sign-in form once signed in');
    const cookieAfter = (await context.cookies()).find((c) => c.name === 'SLSESSION')?.value;
    assert.ok(cookieAfter !== undefined && cookieAfter !== cookieBefore, 'the cookie was rotated');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    assert.equal(await page.locator('#signed-in').count(), 0);
    assert.match(await page.locator('main').innerText(), /Your cart is empty/);
    assert.deepEqual(violations, []);
    await context.close();
  });
});
