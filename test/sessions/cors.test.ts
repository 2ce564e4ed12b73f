import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { BACKENDS, BASIC, buildTestApp, OTHER_SITE, tokenRequest } from '../support/helpers.js';

const SHOP = 'https://shop.acme.example';
const EVIL = 'https://evil.example';

/** acme lists SHOP; `open` lists "*"; OTHER_SITE lists https://shop.other.example; `closed` lists nothing. */
const SEED: Seed = {
  sites: [
    { ...DEMO_SEED.sites[0]!, allowedOrigins: [SHOP] },
    OTHER_SITE,
    { id: 'open', name: 'Open', allowedOrigins: ['*'], apiKeys: [{ key: 'open-public', type: 'public' }] },
    { id: 'closed', name: 'Closed', allowedOrigins: null, apiKeys: [{ key: 'closed-public', type: 'public' }] }
  ]
};

function noCors(headers: Record<string, unknown>, what: string): void {
  assert.equal(headers['access-control-allow-origin'], undefined, `${what}: no Allow-Origin`);
  assert.equal(headers['access-control-allow-credentials'], undefined, `${what}: no Allow-Credentials`);
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('token endpoint: a listed origin is echoed with Vary, another origin gets nothing, a site without a list answers "*", never with credentials', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: SEED });
  const post = async (key: string, origin: string) => await app.inject({
    method: 'POST', url: '/oauth20/token', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `grant_type=password&client_id=${key}`
  });
  const ok = await post('acme-public', SHOP);
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.headers['access-control-allow-origin'], SHOP);
  assert.match(String(ok.headers.vary), /Origin/);
  assert.equal(ok.headers['access-control-allow-credentials'], undefined, 'tokens need no cookies');
  noCors((await post('acme-public', EVIL)).headers, 'unlisted origin');
  // A site without a list keeps Digital River's default: any origin, as "*", never with credentials.
  const closed = await post('closed-public', SHOP);
  assert.equal(closed.headers['access-control-allow-origin'], '*');
  assert.equal(closed.headers['access-control-allow-credentials'], undefined);
  const star = await post('open-public', EVIL);
  assert.equal(star.headers['access-control-allow-origin'], '*');
  assert.equal(star.headers['access-control-allow-credentials'], undefined);
  // The site comes from the confidential client's Basic credentials too, and errors carry it.
  const basic = await tokenRequest(app, { grant_type: 'nonsense' }, { authorization: BASIC });
  assert.equal(basic.statusCode, 400);
  const basicFromShop = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { origin: SHOP, authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=nonsense' });
  assert.equal(basicFromShop.statusCode, 400);
  assert.equal(basicFromShop.headers['access-control-allow-origin'], SHOP);
});

test('/v1/shoppers/token and the Shopper API answer CORS from the key\'s or the token\'s site', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: SEED });
  const issued = await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=acme-public&format=json', headers: { origin: SHOP } });
  assert.equal(issued.statusCode, 200);
  assert.equal(issued.headers['access-control-allow-origin'], SHOP);
  noCors((await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=acme-public', headers: { origin: EVIL } })).headers, 'v1 token, unlisted');
  const token = (issued.json() as { token: { access_token: string } }).token.access_token;
  const me = await app.inject({ method: 'GET', url: '/v1/shoppers/me?format=json', headers: { origin: SHOP, authorization: `Bearer ${token}` } });
  assert.equal(me.statusCode, 200);
  assert.equal(me.headers['access-control-allow-origin'], SHOP);
  assert.match(String(me.headers['access-control-expose-headers']), /X-RateLimit-Remaining/);
  noCors((await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: EVIL, authorization: `Bearer ${token}` } })).headers, 'shopper api, unlisted');
  // An origin listed by another site gets nothing on this site's token.
  noCors((await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: 'https://shop.other.example', authorization: `Bearer ${token}` } })).headers, 'other site origin');
  const info = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { origin: SHOP, authorization: `Bearer ${token}` } });
  assert.equal(info.headers['access-control-allow-origin'], SHOP);
});

test('the site action allows credentials only for an explicitly listed origin', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: SEED });
  const listed = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { origin: SHOP, 'sec-fetch-site': 'cross-site', referer: `${SHOP}/` } });
  assert.equal(listed.statusCode, 200);
  assert.equal(listed.headers['access-control-allow-origin'], SHOP);
  assert.equal(listed.headers['access-control-allow-credentials'], 'true');
  assert.match(String(listed.headers.vary), /Origin/);
  const star = await app.inject({ method: 'GET', url: '/store/open/SessionToken?format=json', headers: { origin: EVIL } });
  assert.equal(star.statusCode, 200);
  assert.equal(star.headers['access-control-allow-origin'], '*');
  assert.equal(star.headers['access-control-allow-credentials'], undefined, 'never credentials with *');
  const evil = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { origin: EVIL, 'sec-fetch-site': 'cross-site', referer: `${EVIL}/` } });
  assert.equal(evil.statusCode, 403);
  noCors(evil.headers, 'site action, unlisted');
  noCors((await app.inject({ method: 'GET', url: '/store/closed/SessionToken?format=json', headers: { origin: SHOP } })).headers, 'closed site action');
});

test('preflights: 204 with methods, headers and Max-Age when the path, the key or (Shopper API) any site allows the origin', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: SEED });
  const preflight = async (url: string, origin: string) => await app.inject({
    method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' }
  });
  const api = await preflight('/v1/shoppers/me/carts/active', SHOP);
  assert.equal(api.statusCode, 204);
  assert.equal(api.headers['access-control-allow-origin'], SHOP);
  assert.match(String(api.headers['access-control-allow-methods']), /POST/);
  assert.match(String(api.headers['access-control-allow-headers']), /Authorization/);
  assert.match(String(api.headers['access-control-allow-headers']), /If-Match/);
  assert.equal(api.headers['access-control-max-age'], '600');
  assert.equal(api.headers['access-control-allow-credentials'], undefined);
  // No site is named and one site says "*": any origin may send the preflight, but as "*".
  const anyone = await preflight('/v1/shoppers/me', EVIL);
  assert.equal(anyone.headers['access-control-allow-origin'], '*');
  const byKey = await preflight('/oauth20/token?client_id=acme-public', SHOP);
  assert.equal(byKey.headers['access-control-allow-origin'], SHOP);
  noCors((await preflight('/oauth20/token?client_id=acme-public', EVIL)).headers, 'token preflight, unlisted');
  // Naming no site (one site keeps the default) or a site without a list: "*".
  assert.equal((await preflight('/oauth20/token', EVIL)).headers['access-control-allow-origin'], '*');
  assert.equal((await preflight('/oauth20/token?client_id=closed-public', EVIL)).headers['access-control-allow-origin'], '*');
  noCors((await preflight('/oauth20/introspect', SHOP)).headers, 'introspection is for servers');
  const action = await preflight('/store/acme/SessionToken', SHOP);
  assert.equal(action.statusCode, 204);
  assert.equal(action.headers['access-control-allow-origin'], SHOP);
  assert.equal(action.headers['access-control-allow-credentials'], 'true');
  noCors((await preflight('/store/acme/SessionToken', EVIL)).headers, 'site action preflight, unlisted');
  noCors((await preflight('/store/nope/SessionToken', SHOP)).headers, 'unknown site');
});

test('when every site lists origins and none says "*", a Shopper API preflight from an unlisted origin gets no CORS headers', async (t) => {
  // Every site narrows (no site keeps the open default).
  const { app } = await buildTestApp(t, { backend, seed: { sites: [SEED.sites[0]!, OTHER_SITE] } });
  const res = await app.inject({ method: 'OPTIONS', url: '/v1/shoppers/me', headers: { origin: EVIL, 'access-control-request-method': 'GET' } });
  assert.equal(res.statusCode, 204);
  noCors(res.headers, 'no site lists the origin');
  const ok = await app.inject({ method: 'OPTIONS', url: '/v1/shoppers/me', headers: { origin: SHOP, 'access-control-request-method': 'GET' } });
  assert.equal(ok.headers['access-control-allow-origin'], SHOP);
  // A forged token names no site: a listed origin may still read the 401 (to fetch a new token).
  const forged = { authorization: `Bearer ${'ab'.repeat(32)}` };
  const listed401 = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: SHOP, ...forged } });
  assert.equal(listed401.statusCode, 401);
  assert.equal(listed401.headers['access-control-allow-origin'], SHOP);
  assert.match(String(listed401.headers['access-control-expose-headers']), /WWW-Authenticate/);
  noCors((await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: EVIL, ...forged } })).headers, 'forged token, unlisted origin');
});
});
