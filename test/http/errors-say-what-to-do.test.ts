import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, BASIC, buildTestApp, tokenRequest, type TestApp } from '../support/helpers.js';
import { countStored } from '../support/reader.js';

interface ShopperError { errors: { error: Array<{ code: string; description: string }> } }
interface OAuthError { error: string; error_description: string }

async function limitedToken(app: FastifyInstance): Promise<string> {
  const res = await tokenRequest(app, { grant_type: 'password' }, { authorization: BASIC });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

function shopperError(body: string): { code: string; description: string } {
  return (JSON.parse(body) as ShopperError).errors.error[0]!;
}

async function countRows(db: TestApp['db']): Promise<string> {
  const counts = await Promise.all((['sessions', 'access_tokens', 'carts', 'line_items'] as const).map(async (table) =>
    await countStored(db, table)));
  return counts.join(',');
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`errors say what to do [${backend}]`, () => {
  it('no Authorization header and a header of another scheme each say what to send, keeping 401 invalid_token', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /^Missing access token: send Authorization: Bearer <token>$/],
      [{ authorization: 'Bearer' }, /^Missing access token/],
      [{ authorization: BASIC }, /^Authorization header must use the Bearer scheme/],
      [{ authorization: 'f'.repeat(64) }, /^Authorization header must use the Bearer scheme/]
    ];
    for (const [headers, description] of cases) {
      const api = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { accept: 'application/json', ...headers } });
      assert.equal(api.statusCode, 401, JSON.stringify(headers));
      assert.equal(shopperError(api.body).code, 'invalid_token');
      assert.match(shopperError(api.body).description, description);
      assert.match(String(api.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      const info = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers });
      assert.equal(info.statusCode, 401);
      assert.equal((info.json() as OAuthError).error, 'invalid_token');
      assert.match((info.json() as OAuthError).error_description, description);
      // The catalogue takes a public apiKey instead of a token; with neither it says so too.
      const catalogue = await app.inject({ method: 'GET', url: '/v1/shoppers/me/products', headers: { accept: 'application/json', ...headers } });
      assert.equal(catalogue.statusCode, 401);
      assert.match(shopperError(catalogue.body).description, description);
    }
    // A token that names nothing keeps its own description.
    const forged = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { accept: 'application/json', authorization: `Bearer ${'0'.repeat(64)}` } });
    assert.equal(shopperError(forged.body).description, 'Invalid token for specified shopper');
  });

  it('a text/plain body gets 415 naming the accepted types, on the token endpoint and on every POST route, and changes nothing', async (t) => {
    const { app, db } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const before = await countRows(db);
    const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'text/plain' }, payload: 'grant_type=password' });
    assert.equal(res.statusCode, 415);
    const body = res.json() as OAuthError;
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /text\/plain/);
    assert.match(body.error_description, /application\/x-www-form-urlencoded/);
    assert.match(body.error_description, /application\/json/);
    // Every POST operation the server documents, plus the hidden RFC 7009/7662 ones.
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const posts = Object.entries(doc.paths).filter(([, ops]) => 'post' in ops).map(([path]) => path.replace(/\{[^}]+\}/g, 'x'));
    posts.push('/oauth20/revoke', '/oauth20/introspect');
    assert.ok(posts.includes('/v1/shoppers/me/carts/active'), posts.join(' '));
    for (const path of posts) {
      const answer = await app.inject({
        method: 'POST', url: path, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain; charset=utf-8', accept: 'application/json' },
        payload: 'productId=1001'
      });
      assert.equal(answer.statusCode, 415, `${path}: ${answer.body}`);
      assert.match(answer.body, /application\/x-www-form-urlencoded/, path);
    }
    assert.equal(await countRows(db), before);
  });

  it('a wrong method on a known path answers 405 with Allow; an unknown path stays 404', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const del = await app.inject({ method: 'DELETE', url: '/v1/shoppers/me/carts/active', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    assert.equal(del.statusCode, 405, del.body);
    assert.equal(del.headers.allow, 'GET, HEAD, POST');
    assert.equal(shopperError(del.body).code, 'method-not-allowed');
    assert.match(shopperError(del.body).description, /DELETE is not allowed here; use GET or POST/);
    const put = await app.inject({ method: 'PUT', url: '/v1/shoppers/me/products/1001' });
    assert.equal(put.statusCode, 405);
    assert.equal(put.headers.allow, 'GET, HEAD');
    const health = await app.inject({ method: 'POST', url: '/healthz' });
    assert.equal(health.statusCode, 405);
    assert.equal((health.json() as OAuthError).error, 'method-not-allowed');
    // The token endpoint's own 405 is unchanged.
    const get = await app.inject({ method: 'GET', url: '/oauth20/token' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');
    const unknown = await app.inject({ method: 'DELETE', url: '/v1/shoppers/me/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.headers.allow, undefined);
  });

  it('"Unknown site" repeats the id that was sent, escaped', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const res = await app.inject({ method: 'GET', url: '/store/acne/SessionToken?format=json' });
    assert.equal(res.statusCode, 404);
    assert.equal((res.json() as OAuthError).error_description, 'Unknown site "acne"');
    const xml = await app.inject({ method: 'GET', url: '/store/%3Cb%3Ex%26/SessionToken' });
    assert.equal(xml.statusCode, 404);
    assert.match(xml.body, /Unknown site &quot;&lt;b&gt;x&amp;&quot;|Unknown site "&lt;b&gt;x&amp;"/);
    assert.doesNotMatch(xml.body, /<b>/);
    const page = await app.inject({ method: 'GET', url: '/store/%3Cb%3E%0A/en_US/DisplayThreePgCheckoutShoppingCartPage' });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /Unknown store &#34;&#60;b&#62;\?&#34;/);
  });

  it('POST …/carts/active without productId or a cart body is a 400 saying what to send; the cart is unchanged', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const before = (await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers })).json() as { cart: { version: number } };
    const empty = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active', headers });
    assert.equal(empty.statusCode, 400, empty.body);
    assert.match(shopperError(empty.body).description, /send productId/);
    const after = (await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers })).json() as { cart: { version: number; totalItemsInCart: number } };
    assert.equal(after.cart.version, before.cart.version);
    // A wrapped cart body with line items is a change, not an empty request.
    const wrapped = await app.inject({
      method: 'POST', url: '/v1/shoppers/me/carts/active', headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ cart: { lineItems: { lineItem: [{ quantity: 2, product: { id: '1001' } }] } } })
    });
    assert.equal(wrapped.statusCode, 200, wrapped.body);
    assert.equal((wrapped.json() as { cart: { totalItemsInCart: number } }).cart.totalItemsInCart, 2);
    const flat = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=1002', headers });
    assert.equal(flat.statusCode, 200);
    // web-checkout's POST applies a cart body when there is one, and needs none.
    const checkout = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout', headers });
    assert.equal(checkout.statusCode, 302);
  });
});
