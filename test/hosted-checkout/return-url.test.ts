import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DEMO_SEED, type Seed } from '../../src/domain/seed.js';
import { BACKENDS, buildTestApp, OTHER_SITE, type Backend, type TestApp } from '../support/helpers.js';

/**
 * The way back to the storefront (web-checkout `returnUrl` → hosted pages → thank-you link with
 * order and return code → the app's server redeems the code with grant_type=authorization_code).
 */

const SHOP = 'https://shop.acme.example';
const RETURN_URL = `${SHOP}/checkout/return`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (key: string, secret: string): string => 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
const APP = basic('acme-app', 'app-secret-123');
const APP2 = basic('acme-app2', 'app2-secret-456');
const ACME = DEMO_SEED.sites[0] as Seed['sites'][number];

/** The demo site with a return URL, an allowed origin, a second confidential key and tight guess limits. */
export const RETURN_SEED: Seed = {
  sites: [{
    ...ACME,
    allowedOrigins: [SHOP],
    returnUrl: RETURN_URL,
    apiKeys: [...(ACME.apiKeys ?? []), { key: 'acme-app2', type: 'confidential', secret: 'app2-secret-456' }],
    limits: { clientAuthFailuresPerKey: 6 }
  }, OTHER_SITE]
};

/** A browser: one cookie jar for SLSESSION. */
export class Browser {
  cookie: string | null = null;
  constructor(private readonly app: FastifyInstance) {}
  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = form === undefined ? {} : { ...FORM };
    if (this.cookie !== null) headers.cookie = `SLSESSION=${this.cookie}`;
    const res = await this.app.inject({ method, url, headers, ...(form === undefined ? {} : { payload: new URLSearchParams(form).toString() }) });
    assert.ok(res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body}`);
    const set = res.cookies.find((c) => c.name === 'SLSESSION');
    if (set !== undefined) this.cookie = set.value;
    return res;
  }
}

const pathOf = (location: string): string => { const u = new URL(location); return u.pathname + u.search; };
/** An attribute value as the browser reads it: numeric and the usual named character references decoded. */
const unescapeHTML = (s: string): string => s.replace(/&#([0-9]+);/g, (_, n: string) => String.fromCharCode(Number(n)))
  .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(Number.parseInt(n, 16)))
  .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export async function appToken(app: FastifyInstance, signedIn: boolean, authorization = APP): Promise<string> {
  const payload = signedIn ? 'grant_type=password&username=jane&password=Correct-Horse-9' : 'grant_type=client_credentials';
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { ...FORM, authorization }, payload });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

export function webCheckout(app: FastifyInstance, token: string, returnUrl?: string): Promise<LightMyRequestResponse> {
  const query = returnUrl === undefined ? '' : `?returnUrl=${encodeURIComponent(returnUrl)}`;
  return app.inject({ method: 'GET', url: `/v1/shoppers/me/carts/active/web-checkout${query}`, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
}

export interface Trip {
  browser: Browser;
  orderId: string;
  /** The thank-you page's way back, as the browser follows it. */
  link: URL;
  thankYou: string;
  token: string;
}

/** The whole trip: the app builds a cart, hands the browser over, the shopper orders on the hosted pages. */
export async function orderThroughHostedPages(app: FastifyInstance, options: { signedIn?: boolean; returnUrl?: string; authorization?: string } = {}): Promise<Trip> {
  const token = await appToken(app, options.signedIn ?? false, options.authorization);
  const add = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...FORM, authorization: `Bearer ${token}`, accept: 'application/json' }, payload: 'productId=1001&quantity=2' });
  assert.equal(add.statusCode, 200, add.body);
  const wc = await webCheckout(app, token, options.returnUrl);
  assert.equal(wc.statusCode, 302, wc.body);
  const browser = new Browser(app);
  const arrive = await browser.request('GET', pathOf(wc.headers.location as string));
  assert.equal(arrive.statusCode, 302);
  const cart = await browser.request('GET', pathOf(arrive.headers.location as string));
  const back = /id="back-to-store" href="([^"]*)"/.exec(cart.body);
  assert.ok(back, 'the hosted cart links back to the store');
  assert.equal(unescapeHTML(back[1]!), options.returnUrl ?? RETURN_URL);
  const payUrl = '/store/acme/en_US/DisplayThreePgCheckoutAddressPaymentInfoPage';
  const pay = await browser.request('GET', payUrl);
  const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(pay.body)?.[1];
  const version = /name="version" value="([0-9]+)"/.exec(pay.body)?.[1];
  assert.ok(csrf !== undefined && version !== undefined, 'the payment form has its CSRF and version fields');
  const placed = await browser.request('POST', payUrl, {
    csrf, version, firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com', line1: '1 Road', city: 'Town', postalCode: '12345',
    country: 'US', cardNumber: '4111111111111111', expiry: '12/30', cvv: '123'
  });
  assert.equal(placed.statusCode, 303, placed.body);
  const thanks = await browser.request('GET', pathOf(new URL(placed.headers.location as string, 'http://store.test').toString()));
  const orderId = /id="order-id">([^<]+)</.exec(thanks.body)?.[1];
  assert.ok(orderId !== undefined, 'the thank-you page shows the order');
  const cont = /id="continue" href="([^"]*)"/.exec(thanks.body);
  const header = /id="back-to-store" href="([^"]*)"/.exec(thanks.body);
  assert.ok(cont && header, 'the thank-you page has its continue button and header link');
  assert.equal(cont[1], header[1], 'both go the same way back');
  return { browser, orderId, link: new URL(unescapeHTML(cont[1]!)), thankYou: thanks.body, token };
}

export function redeem(app: FastifyInstance, values: Record<string, string>, authorization: string | null = APP): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...FORM };
  if (authorization !== null) headers.authorization = authorization;
  return app.inject({ method: 'POST', url: '/oauth20/token', headers, payload: new URLSearchParams({ grant_type: 'authorization_code', ...values }).toString() });
}

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
    const app = await buildTestApp(t, { backend });
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
