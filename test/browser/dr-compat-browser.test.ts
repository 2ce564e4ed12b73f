import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { freePort, launchChromium } from './browser.js';
import { openTestApp, type TestApp } from '../support/helpers.js';
import { DEMO_SEED } from '../support/seed.js';

/** A merchant's page on its own origin, with jQuery, as Digital River's plugin script runs on. */
async function merchantPage(port: number): Promise<Server> {
  const jquery = readFileSync(new URL('../../node_modules/jquery/dist/jquery.min.js', import.meta.url));
  const server = createServer((req, res) => {
    if (req.url === '/jquery.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(jquery);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>merchant</title><script src="/jquery.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

interface PageResult { locale?: string; cartItems?: number; orderId?: string; actionReadable?: boolean; error?: string }

/**
 * Runs in the page: the calls the plugin's browser script makes with jQuery (Bearer token,
 * JSON bodies wrapped in the resource's name, so every call is preflighted), then the site action.
 */
async function inPage(args: { api: string; token: string }): Promise<PageResult> {
  const out: PageResult = {};
  const $ = (window as unknown as { jQuery: { ajax: (o: Record<string, unknown>) => Promise<any> } }).jQuery;
  // No helper function here: the test runner's transform would name it with a helper the page lacks.
  const calls: Array<[string, unknown]> = [
    ['/v1/shoppers/me', { shopper: { locale: 'de_DE', currency: 'EUR' } }],
    ['/v1/shoppers/me/carts/active', { cart: { lineItems: { lineItem: [{ quantity: '2', product: { id: '1001' } }] } } }],
    ['/v1/shoppers/me/carts/active/submit-cart', { cart: { termsOfSalesAcceptance: 'true', ipAddress: '203.0.113.9' } }]
  ];
  const answers: any[] = [];
  try {
    for (const [url, body] of calls) {
      answers.push(await $.ajax({
        type: 'POST', url: `${args.api}${url}`,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${args.token}` },
        data: JSON.stringify(body)
      }));
    }
    out.locale = answers[0].shopper.locale;
    out.cartItems = answers[1].cart.totalItemsInCart;
    out.orderId = answers[2].submitCart.order.id;
  } catch (err) {
    out.error = JSON.stringify(err);
  }
  try {
    await fetch(`${args.api}/store/acme/SessionToken?format=json`, { credentials: 'include' });
    out.actionReadable = true;
  } catch {
    out.actionReadable = false;
  }
  return out;
}

describe('Digital River\'s browser calls from a merchant page of another origin (real Chromium)', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let browser: Browser;
  let api: string;
  let merchant: Server;
  let merchantOrigin: string;

  before(async () => {
    const [apiPort, pagePort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${apiPort}`;
    merchantOrigin = `http://127.0.0.1:${pagePort}`;
    merchant = await merchantPage(pagePort);
    // The demo site sets no allowedOrigins: Digital River's default, any origin without credentials.
    ({ app, db } = await openTestApp({ config: { port: apiPort, publicStoreURL: api, publicApiURL: api }, seed: DEMO_SEED, now: Date.now }));
    await app.listen({ port: apiPort, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
    merchant?.close();
  });

  it('preflighted Bearer calls with wrapped bodies work on a site without allowedOrigins; the site action stays closed to credentialed reads', async () => {
    // The plugin's server gets the token with its confidential key and hands it to its pages.
    const grant = await fetch(`${api}/oauth20/token`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64'), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=password'
    });
    const token = ((await grant.json()) as { access_token: string }).access_token;
    const page = await browser.newPage();
    await page.goto(`${merchantOrigin}/`);
    const result = await page.evaluate(inPage, { api, token });
    assert.equal(result.error, undefined, JSON.stringify(result));
    assert.equal(result.locale, 'de_DE');
    assert.equal(result.cartItems, 2);
    assert.match(result.orderId ?? '', /.+/);
    assert.equal(result.actionReadable, false, 'no credentialed CORS for an origin the site does not list');
    await page.close();
  });
});
