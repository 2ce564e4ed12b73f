import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TestApp } from '../support/helpers.js';
import { launchChromium, listeningApp } from './browser.js';
import { APP_KEY, APP_SECRET } from '../support/helpers.js';

/** What a developer does in /docs: Authorize, then "Try it out" on the token endpoint and the cart. */
describe('/docs in a browser: Authorize and Try it out', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let base: string;
  let browser: Browser;
  before(async () => {
    ({ app, db, base } = await listeningApp());
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
  });

  async function authorize(page: Page, scheme: string, fill: (box: Locator) => Promise<void>): Promise<void> {
    await page.locator('.scheme-container button.authorize').click();
    const box = page.locator('.auth-container').filter({ has: page.locator('h4 code', { hasText: new RegExp(`^${scheme}$`) }) });
    await fill(box);
    await box.locator('button.authorize').click();
    await page.locator('.dialog-ux button.close-modal').click();
  }

  /** Expands an operation, presses Try it out, lets `fill` set fields, executes; the status and body shown. */
  async function tryOut(page: Page, id: string, fill: (op: Locator) => Promise<void> = async () => {}): Promise<{ status: number; body: string }> {
    const op = page.locator(`#${id}`);
    await op.locator('.opblock-summary').first().click();
    await op.locator('button.try-out__btn').click();
    await fill(op);
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    const body = await op.locator('.live-responses-table .response-col_description pre').first().innerText();
    return { status: Number((await status.innerText()).trim()), body };
  }

  it('gets a token with Basic client authentication, then adds to and reads the cart with Bearer', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/docs`);
    await page.waitForSelector('#operations-OAuth_tokens-createToken', { timeout: 20000 });
    assert.equal(await page.locator('.errors-wrapper').count(), 0, 'Swagger UI found no errors in the document');
    assert.equal(await page.locator('.scheme-container .servers select option').first().getAttribute('value'), base, 'Try it out goes to PUBLIC_API_URL');

    await authorize(page, 'clientBasic', async (box) => {
      await box.locator('input[name=username]').fill(APP_KEY);
      await box.locator('input[name=password]').fill(APP_SECRET);
    });
    const token = await tryOut(page, 'operations-OAuth_tokens-createToken');
    assert.equal(token.status, 200, token.body);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    assert.match(accessToken, /^[0-9a-f]{64,}$/);

    await authorize(page, 'bearer', async (box) => { await box.locator('input').fill(accessToken); });
    const added = await tryOut(page, 'operations-Cart-updateCart', async (op) => {
      await op.locator('tr[data-property-name=productId] input[type=text]').fill('1001');
    });
    assert.equal(added.status, 200, added.body);
    const cart = await tryOut(page, 'operations-Cart-getCart');
    assert.equal(cart.status, 200, cart.body);
    const lines = (JSON.parse(cart.body) as { cart: { lineItems: { lineItem: Array<{ product: { id: string } }> } } }).cart.lineItems.lineItem;
    assert.deepEqual(lines.map((l) => l.product.id), ['1001']);

    // The server agrees: the cart of that token has the product.
    const res = await app.inject({ url: '/v1/shoppers/me/carts/active.json', headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.json().cart.lineItems.lineItem[0].product.id, '1001');
  });
});
