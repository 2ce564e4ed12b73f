import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { BACKENDS, buildTestApp, type Backend, type TestApp } from '../support/helpers.js';
import { DEMO_SEED } from '../support/seed.js';
import {
  APP, APP2, appToken, basic, Browser, FORM, orderThroughHostedPages, pathOf, redeem, RETURN_SEED, RETURN_URL, SHOP, type Trip, unescapeHTML, webCheckout
} from '../support/return-trip.js';

/**
 * The way back to the storefront (web-checkout `returnUrl` → hosted pages → thank-you link with
 * order and return code → the app's server redeems the code with grant_type=authorization_code).
 */

async function counts(t: TestApp): Promise<string> {
  const n = async (table: 'handoff_codes' | 'access_tokens' | 'return_codes' | 'line_items'): Promise<number> =>
    Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const used = await t.db.selectFrom('return_codes').select('hash').where('used_at', 'is not', null).execute();
  return JSON.stringify({ handoffs: await n('handoff_codes'), tokens: await n('access_tokens'), codes: await n('return_codes'), lines: await n('line_items'), used: used.length });
}

function assertInvalidGrant(res: LightMyRequestResponse, why: string): void {
  assert.equal(res.statusCode, 400, `${why}: ${res.body}`);
  assert.equal((res.json() as { error: string }).error, 'invalid_grant', why);
}

async function tokenInfo(app: FastifyInstance, token: string): Promise<{ sessionId: string; authenticated: string }> {
  const res = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { sessionId: string; authenticated: string };
}

function codeOf(trip: Trip): string {
  return trip.link.searchParams.get('code') ?? '';
}

for (const backend of BACKENDS) describeBackend(backend);

function describeBackend(backend: Backend): void {
describe(`The way back to the storefront [${backend}]`, () => {
  it('refuses a returnUrl off the site\'s origins with 400 invalid_request, making no handoff and changing no cart', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const token = await appToken(app.app, false);
    const before = await counts(app);
    const refused = ['https://evil.example/return', 'https://shop.acme.example.evil.example/x', `${SHOP}:8443/x`, 'http://shop.acme.example/x',
      `https://user@shop.acme.example/x`, `${RETURN_URL}#frag`, 'javascript:alert(1)', '//evil.example/x', `${SHOP}\\@evil.example/`, 'https://evil.example/' + 'a'.repeat(2100)];
    for (const url of refused) {
      const res = await webCheckout(app.app, token, url);
      assert.equal(res.statusCode, 400, `${url}: ${res.statusCode}`);
      const error = (res.json() as { errors: { error: Array<{ code: string; description: string }> } }).errors.error[0]!;
      assert.equal(error.code, 'invalid_request');
      assert.match(error.description, /returnUrl/);
      assert.match(error.description, /allowedOrigins|https URL|at most/, 'the message says what to do');
    }
    const post = await app.app.inject({ method: 'POST', url: `/v1/shoppers/me/carts/active/web-checkout?returnUrl=${encodeURIComponent('https://evil.example/')}`, headers: { ...FORM, authorization: `Bearer ${token}`, accept: 'application/json' }, payload: 'productId=1001&quantity=1' });
    assert.equal(post.statusCode, 400);
    assert.equal(await counts(app), before, 'no handoff, no cart change');
    // The site's own returnUrl and any URL on an allowed origin are fine.
    for (const url of [RETURN_URL, `${SHOP}/other/page?x=1`, SHOP]) assert.equal((await webCheckout(app.app, token, url)).statusCode, 302, url);
  });

  it('the full round trip for a guest: a limited pair on the browser\'s session', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const trip = await orderThroughHostedPages(app.app, { returnUrl: `${SHOP}/back` });
    assert.equal(trip.link.origin + trip.link.pathname, `${SHOP}/back`);
    assert.equal(trip.link.searchParams.get('order'), trip.orderId);
    assert.match(codeOf(trip), /^[0-9a-f]{64}$/);
    const stored = await app.db.selectFrom('return_codes').select(['hash', 'return_url', 'api_key']).execute();
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!.hash, codeOf(trip), 'only a hash is stored');
    assert.deepEqual([stored[0]!.return_url, stored[0]!.api_key], [`${SHOP}/back`, 'acme-app']);
    const res = await redeem(app.app, { code: codeOf(trip), redirect_uri: `${SHOP}/back` });
    assert.equal(res.statusCode, 200, res.body);
    const pair = res.json() as { access_token: string; refresh_token: string; token_type: string };
    assert.equal(pair.token_type, 'bearer');
    assert.ok(pair.refresh_token);
    const info = await tokenInfo(app.app, pair.access_token);
    assert.equal(info.sessionId, (await tokenInfo(app.app, trip.token)).sessionId, 'the browser\'s (and the app\'s) session');
    assert.equal(info.authenticated, 'false', 'limited: nobody signed in');
    const orders = await app.app.inject({ method: 'GET', url: `/v1/shoppers/me/orders/${trip.orderId}`, headers: { authorization: `Bearer ${pair.access_token}`, accept: 'application/json' } });
    assert.equal(orders.statusCode, 403, 'a limited token does not read orders');
  });

  it('the full round trip for a signed-in shopper: a full pair that reads the order; the site\'s returnUrl by default', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const trip = await orderThroughHostedPages(app.app, { signedIn: true });
    assert.equal(trip.link.origin + trip.link.pathname, RETURN_URL);
    const res = await redeem(app.app, { code: codeOf(trip), redirect_uri: RETURN_URL });
    assert.equal(res.statusCode, 200, res.body);
    const { access_token } = res.json() as { access_token: string };
    assert.equal((await tokenInfo(app.app, access_token)).authenticated, 'true');
    const order = await app.app.inject({ method: 'GET', url: `/v1/shoppers/me/orders/${trip.orderId}`, headers: { authorization: `Bearer ${access_token}`, accept: 'application/json' } });
    assert.equal(order.statusCode, 200, order.body);
  });

  it('a code works once; another key, another redirect_uri, a public key or another site change nothing', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const trip = await orderThroughHostedPages(app.app);
    const code = codeOf(trip);
    const before = await counts(app);
    const wrong: Array<[string, Record<string, string>, string | null]> = [
      ['another key of the site', { code, redirect_uri: RETURN_URL }, APP2],
      ['another site\'s key', { code, redirect_uri: RETURN_URL }, basic('other-app', 'other-secret-456')],
      ['a public key', { code, redirect_uri: RETURN_URL }, basic('acme-public', '')],
      ['a public key by client_id', { code, redirect_uri: RETURN_URL, client_id: 'acme-public' }, null],
      ['another redirect_uri', { code, redirect_uri: `${SHOP}/elsewhere` }, APP],
      ['the redirect_uri with the added parameters', { code, redirect_uri: trip.link.toString() }, APP],
      ['an unknown code', { code: 'f'.repeat(64), redirect_uri: RETURN_URL }, APP],
      ['a malformed code', { code: 'not-a-code', redirect_uri: RETURN_URL }, APP]
    ];
    for (const [why, values, auth] of wrong) assertInvalidGrant(await redeem(app.app, values, auth), why);
    assert.equal(await counts(app), before, 'nothing changed');
    const missing = await redeem(app.app, { code });
    assert.equal(missing.statusCode, 400);
    assert.equal((missing.json() as { error: string }).error, 'invalid_request');
    assert.equal((await redeem(app.app, { code, redirect_uri: RETURN_URL })).statusCode, 200, 'the right key and redirect_uri still can');
    const afterUse = await counts(app);
    assertInvalidGrant(await redeem(app.app, { code, redirect_uri: RETURN_URL }), 'used twice');
    assert.equal(await counts(app), afterUse);
  });

  it('a code expires after 60 s; reloading the thank-you page makes a new one and ends the old', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const trip = await orderThroughHostedPages(app.app);
    const reloaded = await trip.browser.request('GET', '/store/acme/en_US/ThankYouPage');
    const fresh = new URL(unescapeHTML(/id="continue" href="([^"]*)"/.exec(reloaded.body)![1]!)).searchParams.get('code')!;
    assert.notEqual(fresh, codeOf(trip));
    assertInvalidGrant(await redeem(app.app, { code: codeOf(trip), redirect_uri: RETURN_URL }), 'the replaced code');
    app.clock.advance(61);
    const before = await counts(app);
    assertInvalidGrant(await redeem(app.app, { code: fresh, redirect_uri: RETURN_URL }), 'after 60 s');
    assert.equal(await counts(app), before);
    const again = await trip.browser.request('GET', '/store/acme/en_US/ThankYouPage');
    const third = new URL(unescapeHTML(/id="continue" href="([^"]*)"/.exec(again.body)![1]!)).searchParams.get('code')!;
    app.clock.advance(59);
    assert.equal((await redeem(app.app, { code: third, redirect_uri: RETURN_URL })).statusCode, 200, 'within 60 s');
  });

  it('failed code guesses count like wrong secrets: the key is locked out, even for the right code', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const trip = await orderThroughHostedPages(app.app);
    for (let i = 0; i < 6; i++) assertInvalidGrant(await redeem(app.app, { code: `${i}`.repeat(64).slice(0, 64), redirect_uri: RETURN_URL }), `guess ${i}`);
    const locked = await redeem(app.app, { code: codeOf(trip), redirect_uri: RETURN_URL });
    assert.equal(locked.statusCode, 429, locked.body);
  });

  it('escapes a returnUrl with quotes and ampersands on every page', async (t) => {
    const app = await buildTestApp(t, { backend, seed: RETURN_SEED });
    const url = `${SHOP}/back?a=1&b="x"&c='y'<z>`;
    const trip = await orderThroughHostedPages(app.app, { returnUrl: url });
    assert.ok(!trip.thankYou.includes('"x"') && !trip.thankYou.includes('<z>') && !trip.thankYou.includes("'y'"), 'nothing raw');
    const hrefs = [...trip.thankYou.matchAll(/id="(?:continue|back-to-store)" href="([^"]*)"/g)].map((m) => m[1]!);
    assert.equal(hrefs.length, 2);
    for (const href of hrefs) {
      assert.doesNotMatch(href, /[<>'"]|&(?![a-z]+;|#[0-9]+;|#x[0-9a-f]+;)/i, 'every special character is a character reference');
      assert.ok(unescapeHTML(href).startsWith(`${url}&order=${trip.orderId}&code=`), unescapeHTML(href));
    }
    const code = codeOf(trip);
    assert.equal(trip.link.searchParams.get('order'), trip.orderId, 'an existing query gets &order=…');
    assert.equal((await redeem(app.app, { code, redirect_uri: url })).statusCode, 200, 'redirect_uri is the URL as given');
  });

  it('advertises authorization_code; a site without a return URL shows no way back', async (t) => {
    // The demo site has a returnUrl (its storefront's /return): this one has none and no origins.
    const app = await buildTestApp(t, { backend, seed: { sites: [{ ...DEMO_SEED.sites[0]!, returnUrl: null, allowedOrigins: null }] } });
    const meta = await app.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.ok((meta.json() as { grant_types_supported: string[] }).grant_types_supported.includes('authorization_code'));
    const token = await appToken(app.app, false);
    assert.equal((await webCheckout(app.app, token, 'https://shop.acme.example/x')).statusCode, 400, 'no returnUrl, no origins: nothing is allowed');
    const wc = await webCheckout(app.app, token);
    const browser = new Browser(app.app);
    const page = await browser.request('GET', pathOf((await browser.request('GET', pathOf(wc.headers.location as string))).headers.location as string));
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /back-to-store/);
  });
});
}
