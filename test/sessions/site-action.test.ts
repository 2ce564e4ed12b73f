import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, tokenInfo, BACKENDS } from '../support/helpers.js';
import { countStored } from '../support/reader.js';

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('without apiKey: a session token in JSON, with a HttpOnly path-scoped cookie', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  assert.equal(res.statusCode, 200);
  assert.match(res.json().session_token, /^[0-9A-F]{32}$/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const cookie = res.cookies.find((c) => c.name === 'SLSESSION');
  assert.ok(cookie);
  assert.equal(cookie.path, '/store/acme');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.secure, undefined);
});

test('the cookie is reused: the same session token comes back, and no new cookie is set', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const first = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  const cookie = first.cookies.find((c) => c.name === 'SLSESSION')!.value;
  const second = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { cookie: `SLSESSION=${cookie}` } });
  assert.equal(second.json().session_token, first.json().session_token);
  assert.equal(second.cookies.length, 0);
  const fresh = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  assert.notEqual(fresh.json().session_token, first.json().session_token);
});

test('a forged or foreign cookie starts a fresh session instead of failing', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { cookie: `SLSESSION=${'a'.repeat(64)}` } });
  assert.equal(res.statusCode, 200);
  assert.ok(res.cookies.find((c) => c.name === 'SLSESSION'));
});

test('no format gives XML; format=xml too; the action name is case-insensitive', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  for (const url of ['/store/acme/SessionToken', '/store/acme/sessiontoken?format=xml', '/store/acme/SESSIONTOKEN']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, /application\/xml/);
    assert.match(res.body, /<session_token>[0-9A-F]{32}<\/session_token>/);
  }
  const withKey = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public' });
  assert.match(withKey.body, /<token><access_token>[0-9a-f]{64,}<\/access_token><token_type>bearer<\/token_type><expires_in>86400<\/expires_in><refresh_token>[0-9a-f]+<\/refresh_token><\/token>/);
});

test('with a public apiKey: a limited token on the browser session, expires_in as a string', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const first = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' });
  const cookie = first.cookies.find((c) => c.name === 'SLSESSION')!.value;
  clock.advance(3);
  const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public&format=json', headers: { cookie: `SLSESSION=${cookie}` } });
  assert.equal(res.statusCode, 200);
  const token = res.json().token;
  assert.equal(token.token_type, 'bearer');
  assert.equal(token.expires_in, '86397');
  assert.match(token.access_token, /^[0-9a-f]{64,}$/);
  const info = (await tokenInfo(app, token.access_token)).json();
  assert.equal(info.authenticated, 'false');
  assert.equal(info.userId, 'Anonymous');
  // The same session as the browser's session token names.
  const again = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public&format=json', headers: { cookie: `SLSESSION=${cookie}` } });
  assert.equal((await tokenInfo(app, again.json().token.access_token)).json().sessionId, info.sessionId);
});

test("the docs' jQuery JSONP call works unchanged: callback wrapping with /**/ and the _ cache-buster", async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public&format=json&callback=jQuery36005_1700000000000&_=1700000000001' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/javascript/);
  const match = /^\/\*\*\/jQuery36005_1700000000000\((.*)\);$/.exec(res.body);
  assert.ok(match, res.body);
  assert.match(JSON.parse(match[1]!).token.access_token, /^[0-9a-f]+$/);
  const dotted = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?callback=my.ns.cb' });
  assert.match(dotted.body, /^\/\*\*\/my\.ns\.cb\(\{"session_token":"[0-9A-F]{32}"\}\);$/);
});

test('bad callbacks get 400 and start no session', async (t) => {
  const { app, db } = await buildTestApp(t, { backend });
  const bad = ['alert(1)', '1abc', 'a..b', 'a.', '', 'x'.repeat(129), 'a b', 'a;b', '<script>', 'a\u2028b'];
  for (const callback of bad) {
    const res = await app.inject({ method: 'GET', url: `/store/acme/SessionToken?callback=${encodeURIComponent(callback)}` });
    assert.equal(res.statusCode, 400, callback);
    assert.equal(res.cookies.length, 0);
    assert.doesNotMatch(res.body, /alert|<script>/);
  }
  const ok = await app.inject({ method: 'GET', url: `/store/acme/SessionToken?callback=${'x'.repeat(128)}` });
  assert.equal(ok.statusCode, 200);
  assert.equal(await countStored(db, 'sessions'), 1);
});

test('unknown site 404; a confidential, unknown or foreign key 401 invalid_client', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const missing = await app.inject({ method: 'GET', url: '/store/nosuch/SessionToken?format=json' });
  assert.equal(missing.statusCode, 404);
  for (const key of ['acme-app', 'nope', 'other-public']) {
    const res = await app.inject({ method: 'GET', url: `/store/acme/SessionToken?apiKey=${key}&format=json` });
    assert.equal(res.statusCode, 401, key);
    assert.equal(res.json().error, 'invalid_client');
    assert.equal(res.headers['www-authenticate'], undefined, 'no Basic challenge: a browser would prompt for a login');
  }
  const jsonp = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-app&callback=cb' });
  assert.equal(jsonp.statusCode, 401);
  assert.match(jsonp.body, /^\/\*\*\/cb\(\{"error":"invalid_client"/);
});

test('allowedOrigins: another page gets 403, a listed origin and server-side callers pass', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const url = '/store/other/SessionToken?format=json';
  const foreign = await app.inject({ method: 'GET', url, headers: { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/page' } });
  assert.equal(foreign.statusCode, 403);
  assert.equal(foreign.cookies.length, 0);
  const noReferer = await app.inject({ method: 'GET', url, headers: { 'sec-fetch-site': 'cross-site' } });
  assert.equal(noReferer.statusCode, 403);
  const refererOnly = await app.inject({ method: 'GET', url, headers: { referer: 'https://evil.example/' } });
  assert.equal(refererOnly.statusCode, 403);
  const listed = await app.inject({ method: 'GET', url, headers: { 'sec-fetch-site': 'cross-site', referer: 'https://shop.other.example/cart' } });
  assert.equal(listed.statusCode, 200);
  const server = await app.inject({ method: 'GET', url });
  assert.equal(server.statusCode, 200);
  const acme = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' } });
  assert.equal(acme.statusCode, 200, 'a site without allowedOrigins may be included anywhere');
});

test('over HTTPS behind a trusted proxy the cookie is SameSite=None; Secure', async (t) => {
  const { app } = await buildTestApp(t, { backend, config: { trustProxy: ['127.0.0.1'] } });
  const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { 'x-forwarded-proto': 'https' } });
  const cookie = res.cookies.find((c) => c.name === 'SLSESSION')!;
  assert.equal(cookie.sameSite, 'None');
  assert.equal(cookie.secure, true);
  const { app: untrusting } = await buildTestApp(t, { backend });
  const plain = await untrusting.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(plain.cookies.find((c) => c.name === 'SLSESSION')!.sameSite, 'Lax');
});
});
