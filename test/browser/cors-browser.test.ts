import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { launchChromium, freePort } from './browser.js';
import { openTestApp, type TestApp } from '../support/helpers.js';
import { DEMO_SEED } from '../support/seed.js';

/** A page server on its own origin: every path answers a blank page. */
async function pageServer(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

interface PageResult { token?: string; me?: number; meShopper?: string; action?: string; error?: string }

/** Runs in the page: token endpoint (simple request), then the Shopper API with Bearer (preflighted). */
async function inPage(api: string): Promise<PageResult> {
  const out: PageResult = {};
  try {
    const res = await fetch(`${api}/oauth20/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&client_id=acme-public'
    });
    out.token = ((await res.json()) as { access_token: string }).access_token;
    const me = await fetch(`${api}/v1/shoppers/me`, { headers: { authorization: `Bearer ${out.token}`, accept: 'application/json' } });
    out.me = me.status;
    out.meShopper = ((await me.json()) as { shopper: { id: string } }).shopper.id;
    const action = await fetch(`${api}/store/acme/SessionToken?format=json`, { credentials: 'include' });
    out.action = ((await action.json()) as { session_token: string }).session_token;
  } catch (err) {
    out.error = String(err);
  }
  return out;
}

describe('CORS in a real browser', () => {
  let app: FastifyInstance;
  let db: TestApp['db'];
  let browser: Browser;
  let api: string;
  let shop: Server;
  let evil: Server;
  let shopOrigin: string;
  let evilOrigin: string;

  before(async () => {
    const [apiPort, shopPort, evilPort] = [await freePort(), await freePort(), await freePort()];
    api = `http://127.0.0.1:${apiPort}`;
    shopOrigin = `http://127.0.0.1:${shopPort}`;
    evilOrigin = `http://127.0.0.1:${evilPort}`;
    shop = await pageServer(shopPort);
    evil = await pageServer(evilPort);
    ({ app, db } = await openTestApp({ config: { port: apiPort, publicStoreURL: api, publicApiURL: api }, seed: { sites: [{ ...DEMO_SEED.sites[0]!, allowedOrigins: [shopOrigin] }] }, now: Date.now }));
    await app.listen({ port: apiPort, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
    shop?.close();
    evil?.close();
  });

  it('a page on a listed origin gets a token, calls the Shopper API and reads the site action with credentials', async () => {
    const page = await browser.newPage();
    await page.goto(`${shopOrigin}/`);
    const result = await page.evaluate(inPage, api);
    assert.equal(result.error, undefined, JSON.stringify(result));
    assert.match(result.token ?? '', /^[0-9a-f]{64,}$/);
    assert.equal(result.me, 200);
    assert.equal(result.meShopper, 'Anonymous');
    assert.match(result.action ?? '', /^[0-9A-F]{32}$/);
    await page.close();
  });

  it('a page on an unlisted origin is blocked by the browser', async () => {
    const page = await browser.newPage();
    await page.goto(`${evilOrigin}/`);
    const result = await page.evaluate(inPage, api);
    assert.match(result.error ?? '', /TypeError|Failed to fetch/, JSON.stringify(result));
    assert.equal(result.token, undefined, 'the token response stays unreadable');
    await page.close();
  });
});
