import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../support/helpers.js';
import { launchChromium, listeningApp } from './browser.js';

const ARTIFACTS = 'test-artifacts';
const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');

interface TokenDoc { access_token: string; token_type: string; expires_in: string; refresh_token: string }
type SL = {
  getSessionToken: (o: Record<string, unknown>) => Promise<unknown>;
  checkout: (o: Record<string, unknown>) => void;
};

/** What the server says a token stands for (GET /oauth20/access-tokens). */
async function tokenInfo(base: string, token: string): Promise<{ sessionId: string; cartId: string; authenticated: string }> {
  const res = await fetch(`${base}/oauth20/access-tokens?token=${token}`);
  assert.equal(res.status, 200);
  return await res.json() as { sessionId: string; cartId: string; authenticated: string };
}

/** The app's server side: exchange a browser's session token with the confidential key. */
async function exchange(base: string, sessionToken: string): Promise<string> {
  const res = await fetch(`${base}/oauth20/token`, {
    method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=password&dr_session_token=${sessionToken}`
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json() as { access_token: string }).access_token;
}

describe('sessionlink.js in Chromium, from a storefront page on another origin with no jQuery', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let browser: Browser;
  let base: string;
  let shop: Server;
  let shopBase: string;
  const hanging: ServerResponse[] = [];

  before(async () => {
    ({ app, db, base: base } = await listeningApp());

    // The storefront: a plain page on another port (another origin) that loads the script from Sessionlink.
    shop = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain storefront</title>
<script src="${base}/sessionlink.js"></script></head><body><h1>Plain storefront</h1><p>No jQuery here.</p></body></html>`);
        return;
      }
      // A site action that never answers, for the timeout.
      if (req.url?.startsWith('/store/')) {
        hanging.push(res);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    const address = shop.address();
    shopBase = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    assert.notEqual(new URL(shopBase).origin, new URL(base).origin);

    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    for (const res of hanging) res.destroy();
    shop?.closeAllConnections();
    await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
    await app?.close();
    await db?.destroy();
  });

  async function openShop(page: Page): Promise<void> {
    await page.goto(`${shopBase}/`);
    await page.waitForFunction(() => typeof (window as unknown as { Sessionlink?: unknown }).Sessionlink === 'object');
    assert.equal(await page.evaluate(() => typeof (window as unknown as { jQuery?: unknown }).jQuery), 'undefined');
  }

  it('session token → limited token → API cart → checkout() → hosted cart on the same session, token in no URL', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const urls: string[] = [];
    const posts: Array<{ url: string; body: string | null }> = [];
    context.on('request', (req) => {
      urls.push(req.url());
      if (req.method() === 'POST') posts.push({ url: req.url(), body: req.postData() });
    });
    page.on('framenavigated', (frame) => urls.push(frame.url()));

    await openShop(page);
    // The store defaults to the origin the script came from.
    const sessionToken = await page.evaluate(() => (window as unknown as { Sessionlink: SL }).Sessionlink.getSessionToken({ siteId: 'acme' })) as string;
    assert.match(sessionToken, /^[0-9A-F]{32}$/);
    const limited = await page.evaluate((store) => (window as unknown as { Sessionlink: SL }).Sessionlink.getSessionToken({ store, siteId: 'acme', apiKey: 'acme-public' }), base) as TokenDoc;
    assert.match(limited.access_token, /^[0-9a-f]{64,}$/);
    assert.equal(limited.token_type, 'bearer');
    assert.match(limited.expires_in, /^\d+$/);
    assert.ok(urls.some((u) => new RegExp(`^${base}/store/acme/SessionToken\\?format=json&callback=__sessionlink_[0-9a-z_]+&_=\\d+$`).test(u)), urls.join('\n'));
    assert.ok(urls.some((u) => u.startsWith(`${base}/store/acme/SessionToken?format=json&apiKey=acme-public&callback=__sessionlink_`)));
    // JSONP leaves nothing behind: no script element, no global callback.
    assert.deepEqual(await page.evaluate(() => ({
      scripts: document.querySelectorAll('script[src*="SessionToken"]').length,
      globals: Object.keys(window).filter((k) => k.startsWith('__sessionlink_'))
    })), { scripts: 0, globals: [] });

    // Both answers name the browser's one session (its cookie on the store).
    const info = await tokenInfo(base, limited.access_token);
    assert.equal(info.authenticated, 'false');
    assert.equal((await tokenInfo(base, await exchange(base, sessionToken))).sessionId, info.sessionId);

    // The app fills the cart through the Shopper API.
    const add = await fetch(`${base}/v1/shoppers/me/carts/active?productId=1001&quantity=2`, {
      method: 'POST', headers: { authorization: `Bearer ${limited.access_token}`, accept: 'application/json' }
    });
    assert.equal(add.status, 200);

    assert.match(await page.evaluate(() => {
      try {
        (window as unknown as { Sessionlink: SL }).Sessionlink.checkout({ api: location.origin });
        return 'submitted';
      } catch (e) {
        return (e as Error).message;
      }
    }), /^Sessionlink: "token" \(an access token\) is required$/);
    assert.equal(new URL(page.url()).origin, shopBase, 'no navigation without a token');

    // A browser that lost (or never kept) its store cookie is attached by the handoff alone.
    await context.clearCookies();
    await page.evaluate(({ api, token }) => (window as unknown as { Sessionlink: SL }).Sessionlink.checkout({ api, token }), { api: base, token: limited.access_token });
    await page.waitForURL((url) => url.origin === base && url.pathname.endsWith('/DisplayThreePgCheckoutShoppingCartPage') && url.search === '');
    await page.screenshot({ path: `${ARTIFACTS}/sessionlink-js-hosted-cart.png`, fullPage: true });
    const table = await page.locator('table').innerText();
    assert.match(table, /Widget/);
    assert.equal(await page.getByLabel('Quantity of Widget').inputValue(), '2');
    assert.equal(await page.locator('[role=status]').count(), 0, 'no notice of a spent or unknown handoff code');

    // The hosted page's cookie now names that session: the site action, with that cookie, says so.
    const cookies = await context.cookies(`${base}/store/acme/`);
    assert.ok(cookies.some((c) => c.name === 'SLSESSION' && c.httpOnly), JSON.stringify(cookies.map((c) => c.name)));
    const again = await context.request.get(`${base}/store/acme/SessionToken?format=json`);
    assert.equal(again.status(), 200);
    const sameSession = (await again.json() as { session_token: string }).session_token;
    assert.equal((await tokenInfo(base, await exchange(base, sameSession))).sessionId, info.sessionId);

    // The token travelled in the POST body of the handoff, never in a URL.
    const handoff = posts.find((p) => p.url === `${base}/v1/shoppers/me/carts/active/web-checkout`);
    assert.ok(handoff !== undefined, 'checkout() POSTs to web-checkout');
    assert.equal(handoff.body, `token=${limited.access_token}`);
    assert.ok(urls.some((u) => u.includes('handoff=')), 'the handoff code went through the address bar once');
    for (const u of urls) {
      assert.ok(!u.includes(limited.access_token), `access token in URL ${u}`);
      assert.ok(!u.includes(limited.refresh_token), `refresh token in URL ${u}`);
      assert.ok(!u.includes(sessionToken), `session token in URL ${u}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('rejects clearly: unknown site, bad apiKey, bad options, a timeout; fetch without CORS', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openShop(page);
    const outcome = async (options: Record<string, unknown>): Promise<string> => await page.evaluate(
      (o) => (window as unknown as { Sessionlink: SL }).Sessionlink.getSessionToken(o).then((v) => `resolved ${JSON.stringify(v)}`, (e: Error) => `rejected ${e.message}`),
      options
    );
    assert.match(await outcome({ siteId: 'no-such-site' }), /^rejected Sessionlink: the site action could not be loaded/);
    assert.match(await outcome({ siteId: 'acme', apiKey: 'acme-app' }), /^rejected Sessionlink: the site action could not be loaded/);
    assert.match(await outcome({}), /^rejected Sessionlink: "siteId" is required/);
    assert.match(await outcome({ siteId: 'acme', transport: 'xhr' }), /^rejected Sessionlink: "transport" must be/);
    assert.match(await outcome({ siteId: 'acme', store: 'javascript:alert(1)' }), /^rejected Sessionlink: "store" must be an http\(s\) URL/);
    const started = Date.now();
    assert.match(await outcome({ store: shopBase, siteId: 'acme', timeout: 300 }), /^rejected Sessionlink: the site action did not answer within 300 ms/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(hanging.length, 1, 'the timed-out call did reach the slow server');
    // The page origin is not allowed by CORS on the demo site: the browser refuses the answer.
    assert.match(await outcome({ siteId: 'acme', transport: 'fetch' }), /^rejected Sessionlink: fetch failed \(is this page's origin in the site's allowedOrigins/);
    assert.deepEqual(await page.evaluate(() => ({
      scripts: document.querySelectorAll('script[src*="SessionToken"]').length,
      globals: Object.keys(window).filter((k) => k.startsWith('__sessionlink_')).length
    })), { scripts: 0, globals: 1 }, 'only the timed-out call keeps a no-op for its late answer');
    await context.close();
  });

  it('transport: "fetch" with credentials works where the origin may read the answer (here: same origin)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route(`${base}/same-origin.html`, (route) => route.fulfill({
      contentType: 'text/html', body: `<!doctype html><title>same origin</title><script src="/sessionlink.js"></script>`
    }));
    await page.goto(`${base}/same-origin.html`);
    const [sessionToken, limited] = await page.evaluate(async () => {
      const sl = (window as unknown as { Sessionlink: SL }).Sessionlink;
      return [await sl.getSessionToken({ siteId: 'acme', transport: 'fetch' }), await sl.getSessionToken({ siteId: 'acme', apiKey: 'acme-public', transport: 'fetch' })];
    }) as [string, TokenDoc];
    assert.match(sessionToken, /^[0-9A-F]{32}$/);
    // credentials: 'include' carried the cookie the first call set: one session.
    assert.equal((await tokenInfo(base, await exchange(base, sessionToken))).sessionId, (await tokenInfo(base, limited.access_token)).sessionId);
    const rejected = await page.evaluate(() => (window as unknown as { Sessionlink: SL }).Sessionlink.getSessionToken({ siteId: 'acme', apiKey: 'nope', transport: 'fetch' }).then(() => 'resolved', (e: Error) => e.message));
    assert.match(rejected, /^Sessionlink: the site action answered 401: /);
    await context.close();
  });
});
