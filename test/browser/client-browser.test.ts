import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { launchChromium, freePort } from './browser.js';
import { buildTestApp } from '../support/helpers.js';

const CLIENT_DIR = new URL('../../src/client/', import.meta.url);

/** src/client as the browser would get it from a bundler: each module transpiled, no Node shims. */
function clientModules(): Map<string, string> {
  const modules = new Map<string, string>();
  for (const file of readdirSync(CLIENT_DIR).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, CLIENT_DIR), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
    modules.set(file.replace(/\.ts$/, '.js'), output.outputText);
  }
  return modules;
}

test('the client runs in Chromium unchanged: public key, session, cart, typed errors, web checkout by navigation', async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { app } = await buildTestApp(t, { config: { port, publicStoreURL: base, publicApiURL: base } });
  await app.listen({ port, host: '127.0.0.1' });
  const modules = clientModules();
  const browser = await launchChromium();
  t.after(async () => await browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // Served on the API's origin, as an app's own bundle would be (the API sends no CORS headers).
  await page.route(`${base}/__client/*`, async (route) => {
    const body = modules.get(new URL(route.request().url()).pathname.replace('/__client/', ''));
    await (body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ contentType: 'text/javascript', body }));
  });
  await page.goto(`${base}/healthz`);

  const result = await page.evaluate(async (origin) => {
    const { SessionlinkClient, SessionlinkError } = await import(`${origin}/__client/index.js`) as typeof import('../../src/client/index.js');
    const client = new SessionlinkClient({ baseURL: origin, clientId: 'acme-public' });
    const session = await client.startSession({ type: 'anonymous' });
    const cart = await session.addToCart('1001', 2);
    const info = await session.tokenInfo();
    let notFound: unknown = null;
    try {
      await session.product('nope');
    } catch (err) {
      notFound = err instanceof SessionlinkError ? { status: err.status, code: err.code } : String(err);
    }
    let hidden = '';
    try {
      await session.webCheckout();
    } catch (err) {
      hidden = err instanceof SessionlinkError ? err.description : String(err);
    }
    return { items: cart.totalItemsInCart, cartId: info.cartId, cartIdFromCart: cart.id, notFound, hidden, checkout: await session.webCheckoutURL() };
  }, base);

  assert.equal(result.items, 2);
  assert.equal(result.cartId, result.cartIdFromCart);
  assert.deepEqual(result.notFound, { status: 404, code: 'resource-not-found' });
  assert.match(result.hidden, /navigate to webCheckoutURL/);
  assert.ok(result.checkout.startsWith(`${base}/v1/shoppers/me/carts/active/web-checkout?token=`));
  await page.goto(result.checkout);
  assert.match(new URL(page.url()).pathname, /\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage$/);
  assert.equal(await page.getByLabel('Quantity of Widget').inputValue(), '2');
  assert.deepEqual(errors, []);
});
