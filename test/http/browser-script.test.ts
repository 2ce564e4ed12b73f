import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildTestApp, form } from '../support/helpers.js';

const SCRIPT = readFileSync(new URL('../../public/sessionlink.js', import.meta.url), 'utf8');

test('GET /sessionlink.js serves the browser script as JavaScript, cacheable and revalidated by ETag', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ url: '/sessionlink.js' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['cache-control'], 'public, max-age=300, must-revalidate');
  assert.equal(res.body, SCRIPT);
  assert.match(res.body, /window\.Sessionlink|global\.Sessionlink/);
  assert.doesNotMatch(res.body, /^\s*(import|export)\s|\brequire\(|\$\.|jQuery\(/m, 'a classic script with no dependencies');
  const etag = res.headers.etag as string;
  assert.match(etag, /^"[A-Za-z0-9_-]{27}"$/);

  const again = await app.inject({ url: '/sessionlink.js', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  assert.equal(again.headers.etag, etag);
  const weak = await app.inject({ url: '/sessionlink.js', headers: { 'if-none-match': `"other", W/${etag}` } });
  assert.equal(weak.statusCode, 304);
  const stale = await app.inject({ url: '/sessionlink.js', headers: { 'if-none-match': '"stale"' } });
  assert.equal(stale.statusCode, 200);
  assert.equal(stale.body, SCRIPT);

  const head = await app.inject({ method: 'HEAD', url: '/sessionlink.js' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-type'], 'application/javascript; charset=utf-8');
  const post = await app.inject({ method: 'POST', url: '/sessionlink.js' });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('checkout()\'s form POST: web-checkout takes the token from the body and answers 302 with a handoff code only', async (t) => {
  const { app } = await buildTestApp(t);
  const st = await app.inject({ url: '/store/acme/SessionToken?apiKey=acme-public&format=json' });
  assert.equal(st.statusCode, 200);
  const token = (st.json() as { token: { access_token: string } }).token.access_token;
  const add = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=1001&quantity=2', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  assert.equal(add.statusCode, 200);

  const res = await app.inject({
    method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ token })
  });
  assert.equal(res.statusCode, 302);
  const location = res.headers.location as string;
  assert.match(location, /^http:\/\/store\.test\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage\?handoff=[0-9a-f]{64}$/);
  assert.ok(!location.includes(token), 'the access token never goes into the redirect');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');

  // The handoff opens the hosted cart on the token's session.
  const page = await app.inject({ url: location.replace('http://store.test', '') });
  assert.equal(page.statusCode, 302);
  const cookie = String(page.headers['set-cookie']).split(';')[0] as string;
  const cart = await app.inject({ url: (page.headers.location as string).replace('http://store.test', ''), headers: { cookie } });
  assert.equal(cart.statusCode, 200);
  assert.match(cart.body, /Widget/);

  // A bad token in the body: 401 in the Shopper API error format, and no handoff.
  const bad = await app.inject({
    method: 'POST', url: '/v1/shoppers/me/carts/active/web-checkout',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, payload: form({ token: 'f'.repeat(64) })
  });
  assert.equal(bad.statusCode, 401);
  assert.equal(bad.headers.location, undefined);
  assert.equal((bad.json() as { errors: { error: Array<{ code: string }> } }).errors.error[0]?.code, 'invalid_token');
});
