import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DEMO_SEED, type Seed } from '../../src/domain/seed.js';
import { OTHER_SITE } from './helpers.js';

/**
 * The way back to the storefront, as the tests drive it: the app builds a cart and starts a web
 * checkout with a `returnUrl`, a browser (a cookie jar over inject) orders on the hosted pages and
 * reads the thank-you page's way back; the app's server redeems the code.
 */

export const SHOP = 'https://shop.acme.example';
export const RETURN_URL = `${SHOP}/checkout/return`;
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const basic = (key: string, secret: string): string => 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
export const APP = basic('acme-app', 'app-secret-123');
export const APP2 = basic('acme-app2', 'app2-secret-456');
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

export const pathOf = (location: string): string => { const u = new URL(location); return u.pathname + u.search; };
/** An attribute value as the browser reads it: numeric and the usual named character references decoded. */
export const unescapeHTML = (s: string): string => s.replace(/&#([0-9]+);/g, (_, n: string) => String.fromCharCode(Number(n)))
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
