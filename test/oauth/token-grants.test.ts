import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_KEY, APP_SECRET, BASIC, browserSessionToken, buildTestApp, tokenInfo, tokenRequest, BACKENDS } from '../support/helpers.js';
import { countStored, shoppersWithExternalRef } from '../support/reader.js';

const PUBLIC_BASIC = 'Basic ' + Buffer.from('acme-public:').toString('base64');

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('password + dr_session_token: a limited token joined to that existing session', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const { sessionToken } = await browserSessionToken(app);
  const first = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: PUBLIC_BASIC });
  assert.equal(first.statusCode, 200);
  const body = first.json();
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
  assert.equal(typeof body.expires_in, 'number');
  assert.equal(first.headers['cache-control'], 'no-store');
  const second = await tokenRequest(app, { grant_type: 'password', sessionToken, client_id: 'acme-public' });
  assert.equal(second.statusCode, 200);
  const a = (await tokenInfo(app, body.access_token)).json();
  const b = (await tokenInfo(app, second.json().access_token)).json();
  assert.equal(a.sessionId, b.sessionId);
  assert.equal(a.cartId, b.cartId);
  assert.equal(a.authenticated, 'false');
});

test('a session token whose session is elsewhere, re-keyed or expired: invalid_grant, and no token is stored', async (t) => {
  // On PostgreSQL the exchange reads the session and writes the pair in one statement; the write
  // must happen exactly when the read finds the session live on this site.
  const { app, db, clock } = await buildTestApp(t, { backend });
  const stored = async (): Promise<number[]> => await Promise.all((['access_tokens', 'refresh_tokens'] as const).map(async (table) =>
    await countStored(db, table)));
  const foreign = (await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' })).json().session_token;
  const rekeyed = (await browserSessionToken(app)).sessionToken;
  const login = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: rekeyed }, { authorization: BASIC });
  assert.equal(login.statusCode, 200);
  const expiring = (await browserSessionToken(app)).sessionToken;
  const before = await stored();
  const other = await tokenRequest(app, { grant_type: 'password', dr_session_token: foreign }, { authorization: BASIC });
  assert.equal(other.json().error_description, 'Unknown session token');
  const old = await tokenRequest(app, { grant_type: 'password', dr_session_token: rekeyed }, { authorization: BASIC });
  assert.equal(old.json().error_description, 'Session re-keyed at login');
  clock.advance(86400);
  const expired = await tokenRequest(app, { grant_type: 'password', dr_session_token: expiring }, { authorization: BASIC });
  assert.equal(expired.json().error_description, 'Session expired');
  assert.deepEqual(await stored(), before);
});

test('password without parameters: a limited token on a new session, for any key', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const a = await tokenRequest(app, { grant_type: 'password' }, { authorization: BASIC });
  const b = await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public' });
  assert.equal(a.statusCode, 200);
  assert.equal(b.statusCode, 200);
  const ia = (await tokenInfo(app, a.json().access_token)).json();
  const ib = (await tokenInfo(app, b.json().access_token)).json();
  assert.notEqual(ia.sessionId, ib.sessionId);
});

test('username/password, plain or base64: a full token, cart carried, session re-keyed', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  const anon = (await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC })).json();
  const before = (await tokenInfo(app, anon.access_token)).json();
  const login = await tokenRequest(app, {
    grant_type: 'password', username: 'jane', password: Buffer.from('Correct-Horse-9').toString('base64'), dr_session_token: browser.sessionToken
  }, { authorization: BASIC });
  assert.equal(login.statusCode, 200, login.body);
  const after = (await tokenInfo(app, login.json().access_token)).json();
  assert.equal(after.authenticated, 'true');
  assert.equal(after.sessionId, before.sessionId);
  assert.equal(after.cartId, before.cartId);
  assert.notEqual(after.userId, 'Anonymous');
  // Every handle made before dies at once.
  const old = await tokenInfo(app, anon.access_token);
  assert.equal(old.statusCode, 401);
  assert.equal(old.json().error_description, 'Session re-keyed at login');
  const oldExchange = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  assert.equal(oldExchange.statusCode, 400);
  assert.equal(oldExchange.json().error, 'invalid_grant');
  const oldRefresh = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: anon.refresh_token }, { authorization: BASIC });
  assert.equal(oldRefresh.json().error, 'invalid_grant');
  // The planted cookie does not become a logged-in one: it gets a fresh anonymous session.
  const cookieAfter = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public&format=json', headers: { cookie: `SLSESSION=${browser.cookie}` } });
  const cookieInfo = (await tokenInfo(app, cookieAfter.json().token.access_token)).json();
  assert.notEqual(cookieInfo.sessionId, before.sessionId);
  assert.equal(cookieInfo.authenticated, 'false');
  const plain = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC });
  assert.equal(plain.statusCode, 200);
  assert.equal((await tokenInfo(app, plain.json().access_token)).json().authenticated, 'true');
});

test('a session token of an authenticated session exchanged without credentials yields a limited token', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const login = (await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC })).json();
  const info = (await tokenInfo(app, login.access_token)).json();
  // The site action is what hands a session token out: to the browser the app handed the session off to.
  const checkout = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active/web-checkout', headers: { authorization: `Bearer ${login.access_token}` } });
  const handoff = new URL(checkout.headers.location as string);
  const landed = await app.inject({ method: 'GET', url: handoff.pathname + handoff.search });
  const browser = await browserSessionToken(app, landed.cookies.find((c) => c.name === 'SLSESSION')!.value);
  const res = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: PUBLIC_BASIC });
  assert.equal(res.statusCode, 200);
  const limited = (await tokenInfo(app, res.json().access_token)).json();
  assert.equal(limited.sessionId, info.sessionId);
  assert.equal(limited.authenticated, 'false');
});

test('wrong password and unknown user: 400 invalid_grant, nothing re-keyed', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  for (const [username, password] of [['jane', 'wrong'], ['nobody', 'Correct-Horse-9']] as const) {
    const res = await tokenRequest(app, { grant_type: 'password', username, password, dr_session_token: browser.sessionToken }, { authorization: BASIC });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
  }
  const still = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  assert.equal(still.statusCode, 200);
});

test('login needs a confidential key: public gets unauthorized_client', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: PUBLIC_BASIC });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error, 'unauthorized_client');
  const cc = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: PUBLIC_BASIC });
  assert.equal(cc.json().error, 'unauthorized_client');
});

test('client_credentials: guest token on a new session; with an external reference a full token, shopper created once', async (t) => {
  const { app, db } = await buildTestApp(t, { backend });
  const guest = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
  assert.equal(guest.statusCode, 200);
  assert.equal((await tokenInfo(app, guest.json().access_token)).json().authenticated, 'false');
  const browser = await browserSessionToken(app);
  const ext = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'partner-42', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  assert.equal(ext.statusCode, 200);
  const info = (await tokenInfo(app, ext.json().access_token)).json();
  assert.equal(info.authenticated, 'true');
  assert.equal(info.externalReferenceId, 'partner-42');
  const again = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'partner-42' }, { authorization: BASIC });
  assert.equal((await tokenInfo(app, again.json().access_token)).json().userId, info.userId);
  assert.equal(await shoppersWithExternalRef(db, 'partner-42'), 1);
});

test('dr_limited_token carries an API-only anonymous session into login; a bad one is dr_limited_token_invalid', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const anon = (await tokenRequest(app, { grant_type: 'password' }, { authorization: BASIC })).json();
  const before = (await tokenInfo(app, anon.access_token)).json();
  const login = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_limited_token: anon.access_token }, { authorization: BASIC });
  assert.equal(login.statusCode, 200);
  assert.equal((await tokenInfo(app, login.json().access_token)).json().cartId, before.cartId);
  const bad = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_limited_token: 'f'.repeat(64) }, { authorization: BASIC });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error, 'dr_limited_token_invalid');
});

test('client authentication forms: Basic with and without secret, client_id, client_secret, Bearer', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const viaBasic = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
  assert.equal(viaBasic.statusCode, 200);
  const viaPost = await tokenRequest(app, { grant_type: 'client_credentials', client_id: APP_KEY, client_secret: APP_SECRET });
  assert.equal(viaPost.statusCode, 200);
  const viaBearer = await tokenRequest(app, { grant_type: 'password' }, { authorization: `bearer ${viaBasic.json().access_token}` });
  assert.equal(viaBearer.statusCode, 200);
  // Bearer counts as public credentials even for a confidential key's token.
  const bearerCC = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: `Bearer ${viaBasic.json().access_token}` });
  assert.equal(bearerCC.json().error, 'unauthorized_client');
  const failures: Array<[Record<string, string>, string | undefined]> = [
    [{ grant_type: 'password' }, 'Basic ' + Buffer.from('acme-app:wrong').toString('base64')],
    [{ grant_type: 'password' }, 'Basic ' + Buffer.from('acme-app:').toString('base64')],
    [{ grant_type: 'password', client_id: 'acme-app' }, undefined],
    [{ grant_type: 'password', client_id: 'nope' }, undefined],
    [{ grant_type: 'password' }, undefined],
    [{ grant_type: 'password' }, 'Bearer ' + 'a'.repeat(64)],
    [{ grant_type: 'password' }, 'Basic !!!'],
    [{ grant_type: 'password' }, 'Digest x'],
    [{ grant_type: 'password' }, 'Basic ' + Buffer.from('acme-public:guess').toString('base64')]
  ];
  for (const [values, authorization] of failures) {
    const res = await tokenRequest(app, values, authorization === undefined ? {} : { authorization });
    assert.equal(res.statusCode, 401, `${JSON.stringify(values)} ${authorization}`);
    assert.equal(res.json().error, 'invalid_client');
    assert.match(res.headers['www-authenticate'] as string, /^Basic/);
  }
});

test('formats: .json and format=json give the GC document, .xml and format=xml XML, none plain RFC 6749', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const { sessionToken } = await browserSessionToken(app);
  clock.advance(3);
  const json = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken, format: 'json' }, { authorization: BASIC });
  assert.equal(json.json().token.expires_in, '86397');
  assert.equal(json.json().token.token_type, 'bearer');
  const suffix = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC, url: '/oauth20/token.json' });
  assert.equal(suffix.json().token.expires_in, '86397');
  for (const [url, extra] of [['/oauth20/token.xml', {}], ['/oauth20/token', { format: 'xml' }]] as const) {
    const res = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken, ...extra }, { authorization: BASIC, url });
    assert.match(res.headers['content-type'] as string, /xml/);
    assert.match(res.body, /<token><access_token>[0-9a-f]+<\/access_token><token_type>bearer<\/token_type><expires_in>86397<\/expires_in>/);
  }
  const plain = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC });
  assert.equal(plain.json().expires_in, 86397);
});

test('parameters from the query, a JSON body, or an empty JSON body with everything in the query; the body wins', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const { sessionToken } = await browserSessionToken(app);
  const query = await app.inject({ method: 'POST', url: `/oauth20/token?grant_type=password&sessionToken=${sessionToken}&format=json`, headers: { authorization: BASIC, 'content-type': 'application/json' }, payload: '' });
  assert.equal(query.statusCode, 200, query.body);
  assert.ok(query.json().token);
  const json = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC }, payload: { grant_type: 'password', dr_session_token: sessionToken } });
  assert.equal(json.statusCode, 200);
  const wins = await app.inject({ method: 'POST', url: '/oauth20/token?grant_type=bogus', headers: { authorization: BASIC }, payload: { grant_type: 'password' } });
  assert.equal(wins.statusCode, 200);
  const noBody = await app.inject({ method: 'POST', url: '/oauth20/token?grant_type=password', headers: { authorization: BASIC } });
  assert.equal(noBody.statusCode, 200);
});

test('errors: missing grant, unknown grant, unknown session token, foreign session token, repeated parameter, 405, 413', async (t) => {
  const { app, db } = await buildTestApp(t, { backend });
  const sessionsBefore = await countStored(db, 'sessions');
  const cases: Array<[Record<string, string> | string, number, string]> = [
    [{}, 400, 'invalid_request'],
    [{ grant_type: 'implicit' }, 400, 'unsupported_grant_type'],
    [{ grant_type: 'authorization_code' }, 400, 'invalid_request'],
    [{ grant_type: 'password', dr_session_token: 'ABCDEF0123456789ABCDEF0123456789' }, 400, 'invalid_grant'],
    [{ grant_type: 'password', dr_session_token: 'not-a-token' }, 400, 'invalid_grant'],
    [{ grant_type: 'password', username: 'jane' }, 400, 'invalid_request'],
    [{ grant_type: 'refresh_token' }, 400, 'invalid_request'],
    [{ grant_type: 'refresh_token', refresh_token: 'abc' }, 400, 'invalid_grant'],
    ['grant_type=password&grant_type=client_credentials', 400, 'invalid_request']
  ];
  for (const [values, status, code] of cases) {
    const payload = typeof values === 'string' ? values : new URLSearchParams(values).toString();
    const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload });
    assert.equal(res.statusCode, status, payload);
    assert.equal(res.json().error, code, payload);
    assert.equal(typeof res.json().error_description, 'string');
  }
  const other = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' });
  const foreign = await tokenRequest(app, { grant_type: 'password', dr_session_token: other.json().session_token }, { authorization: BASIC });
  assert.equal(foreign.json().error, 'invalid_grant');
  const get = await app.inject({ method: 'GET', url: '/oauth20/token' });
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.allow, 'POST');
  const big = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&x=' + 'a'.repeat(64 * 1024) });
  assert.equal(big.statusCode, 413);
  assert.equal(typeof big.json().error, 'string');
  const broken = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/json' }, payload: '{"grant_type":' });
  assert.equal(broken.statusCode, 400);
  const weird = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/xml' }, payload: '<x/>' });
  assert.equal(weird.statusCode, 415);
  assert.equal(weird.json().error, 'invalid_request');
  const sessionsAfter = await countStored(db, 'sessions');
  assert.equal(sessionsAfter, sessionsBefore + 1, 'only the other-site browser call made a session');
});

test("sessionTokenExchange 'confidential': a leaked session token is useless with a public key", async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' });
  const st = res.json().session_token;
  const pub = await tokenRequest(app, { grant_type: 'password', dr_session_token: st, client_id: 'other-public' });
  assert.equal(pub.json().error, 'unauthorized_client');
  const shoppers = await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=other-public&sessionToken=${st}` });
  assert.equal(shoppers.json().error, 'unauthorized_client');
  const conf = await tokenRequest(app, { grant_type: 'password', dr_session_token: st }, { authorization: 'Basic ' + Buffer.from('other-app:other-secret-456').toString('base64') });
  assert.equal(conf.statusCode, 200);
});
});
