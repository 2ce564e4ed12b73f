import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASIC, browserSessionToken, buildTestApp, tokenInfo, tokenRequest, BACKENDS } from '../support/helpers.js';
import { sweep } from '../support/startup.js';
import { countStored } from '../support/reader.js';

const OTHER_BASIC = 'Basic ' + Buffer.from('other-app:other-secret-456').toString('base64');

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('expires_in counts down the session, not the token; after expiry 401 Session expired', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const first = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
  assert.equal(first.expires_in, 86400);
  clock.advance(3600.4);
  const info = (await tokenInfo(app, first.access_token)).json();
  assert.equal(info.expiresIn, 82799);
  const refreshed = (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC })).json();
  assert.equal(refreshed.expires_in, 82799, 'a refreshed token never outlives its session');
  clock.advance(82800);
  const dead = await tokenInfo(app, first.access_token);
  assert.equal(dead.statusCode, 401);
  assert.equal(dead.json().error, 'invalid_token');
  assert.equal(dead.json().error_description, 'Session expired');
  const deadRefresh = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token }, { authorization: BASIC });
  assert.equal(deadRefresh.statusCode, 400);
  assert.equal(deadRefresh.json().error_description, 'Session expired');
});

test('idle timeout: use keeps the session alive, idleness ends it, never past the absolute TTL', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  // OTHER_SITE: ttl 3600, idle 600.
  const tok = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: OTHER_BASIC })).json();
  assert.equal(tok.expires_in, 600);
  for (let i = 0; i < 5; i++) {
    clock.advance(500);
    const res = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' });
    assert.equal(res.statusCode, 200);
  }
  const cookieStart = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' });
  const cookie = cookieStart.cookies.find((c) => c.name === 'SLSESSION')!.value;
  clock.advance(599);
  // A browser on the site's listed page (with allowedOrigins, a cookie without Referer is refused).
  const page = { referer: 'https://shop.other.example/' };
  const kept = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json', headers: { ...page, cookie: `SLSESSION=${cookie}` } });
  assert.equal(kept.json().session_token, cookieStart.json().session_token);
  clock.advance(601);
  const lost = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json', headers: { ...page, cookie: `SLSESSION=${cookie}` } });
  assert.notEqual(lost.json().session_token, cookieStart.json().session_token, 'an idle session ends: the browser gets a fresh one');
  const idleToken = await tokenInfo(app, tok.access_token);
  assert.equal(idleToken.json().error_description, 'Session expired');
});

test('idle timeout: API use with a token counts as use of the session', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const tok = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: OTHER_BASIC })).json();
  for (let i = 0; i < 3; i++) {
    clock.advance(500);
    const info = await tokenInfo(app, tok.access_token);
    assert.equal(info.statusCode, 200);
    assert.equal(info.json().expiresIn, 600);
    clock.advance(500);
    const me = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${tok.access_token}`, accept: 'application/json' } });
    assert.equal(me.statusCode, 200);
  }
  clock.advance(601);
  assert.equal((await tokenInfo(app, tok.access_token)).json().error_description, 'Session expired');
});

test('refresh: rotation, a replay within the grace window answers the same pair, reuse after it revokes the chain', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const first = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
  const sessionId = (await tokenInfo(app, first.access_token)).json().sessionId;
  const second = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC });
  assert.equal(second.statusCode, 200);
  const pair = second.json();
  assert.notEqual(pair.access_token, first.access_token);
  assert.notEqual(pair.refresh_token, first.refresh_token);
  assert.equal((await tokenInfo(app, pair.access_token)).json().sessionId, sessionId);
  clock.advance(10);
  const replay = (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC })).json();
  assert.equal(replay.access_token, pair.access_token);
  assert.equal(replay.refresh_token, pair.refresh_token);
  // Parallel uses of one token all agree.
  const parallel = await Promise.all(Array.from({ length: 8 }, () => tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC })));
  const pairs = new Set(parallel.map((r) => { assert.equal(r.statusCode, 200); return r.json().access_token + r.json().refresh_token; }));
  assert.equal(pairs.size, 1);
  const third = parallel[0]!.json();
  clock.advance(31);
  const reuse = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC });
  assert.equal(reuse.statusCode, 400);
  assert.equal(reuse.json().error, 'invalid_grant');
  for (const token of [pair.access_token, third.access_token]) {
    const res = await tokenInfo(app, token);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error_description, 'Token revoked');
  }
  const afterRevoke = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: third.refresh_token }, { authorization: BASIC });
  assert.equal(afterRevoke.json().error, 'invalid_grant');
});

test('refresh replay at the edge of the grace window: exactly at it the same pair, one millisecond after it reuse revokes the chain', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const first = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
  const rotated = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC });
  assert.equal(rotated.statusCode, 200);
  const pair = rotated.json();
  // The demo site's grace is 30 s (refreshGraceSeconds): a replay 30 s after the rotation is still inside it.
  clock.advance(30);
  const atEdge = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC });
  assert.equal(atEdge.statusCode, 200, atEdge.body);
  assert.equal(atEdge.json().access_token, pair.access_token);
  assert.equal(atEdge.json().refresh_token, pair.refresh_token);
  assert.equal((await tokenInfo(app, pair.access_token)).statusCode, 200);
  clock.advance(0.001);
  const after = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: BASIC });
  assert.equal(after.statusCode, 400);
  assert.equal(after.json().error, 'invalid_grant');
  const revoked = await tokenInfo(app, pair.access_token);
  assert.equal(revoked.statusCode, 401);
  assert.equal(revoked.json().error_description, 'Token revoked');
});

test('refresh is bound to its key: another client gets invalid_grant', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const tok = (await tokenRequest(app, { grant_type: 'password', client_id: 'acme-public' })).json();
  const stolen = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: tok.refresh_token }, { authorization: BASIC });
  assert.equal(stolen.json().error, 'invalid_grant');
  const foreign = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: tok.refresh_token }, { authorization: OTHER_BASIC });
  assert.equal(foreign.json().error, 'invalid_grant');
  const own = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'acme-public' });
  assert.equal(own.statusCode, 200);
});

test('a registered shopper whose session ended gets a new session on refresh; an anonymous one does not', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const login = (await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC })).json();
  const anon = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json();
  const oldSession = (await tokenInfo(app, login.access_token)).json();
  clock.advance(86401);
  const renewed = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: login.refresh_token }, { authorization: BASIC });
  assert.equal(renewed.statusCode, 200);
  assert.equal(renewed.json().expires_in, 86400);
  const info = (await tokenInfo(app, renewed.json().access_token)).json();
  assert.notEqual(info.sessionId, oldSession.sessionId);
  assert.equal(info.userId, oldSession.userId);
  assert.equal(info.authenticated, 'true');
  const replay = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: login.refresh_token }, { authorization: BASIC });
  assert.equal(replay.json().access_token, renewed.json().access_token, 'racing refreshes agree on the new session too');
  const anonRefresh = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: anon.refresh_token }, { authorization: BASIC });
  assert.equal(anonRefresh.json().error, 'invalid_grant');
});

test('GET and DELETE /oauth20/access-tokens; the session lives on after DELETE', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  const a = (await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC })).json();
  const b = (await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC })).json();
  const get = await app.inject({ method: 'GET', url: `/oauth20/access-tokens?token=${a.access_token}` });
  assert.equal(get.statusCode, 200);
  const info = get.json();
  assert.deepEqual(Object.keys(info).sort(), ['authenticated', 'cartId', 'clientIpAddress', 'currency', 'domain', 'expiresIn', 'externalReferenceId', 'locale', 'sessionId', 'userId'].sort());
  assert.equal(info.locale, 'en_US');
  assert.equal(info.currency, 'USD');
  assert.equal(info.domain, 'store.test');
  assert.equal(typeof info.expiresIn, 'number');
  const xml = await app.inject({ method: 'GET', url: `/oauth20/access-tokens?token=${a.access_token}&format=xml` });
  assert.match(xml.body, /<sessionId>[0-9a-f]+<\/sessionId>/);
  const del = await app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${a.access_token}` } });
  assert.equal(del.statusCode, 200);
  assert.equal(del.json().sessionId, info.sessionId);
  assert.equal((await tokenInfo(app, a.access_token)).json().error_description, 'Token revoked');
  const refresh = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: a.refresh_token }, { authorization: BASIC });
  assert.equal(refresh.json().error, 'invalid_grant');
  assert.equal((await tokenInfo(app, b.access_token)).statusCode, 200, 'other tokens of the session live on');
  const again = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  assert.equal(again.statusCode, 200);
  for (const headers of [{}, { authorization: 'Bearer nope' }]) {
    const res = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_token');
    assert.match(res.headers['www-authenticate'] as string, /^Bearer error="invalid_token"/);
  }
});

test('/v1/shoppers/token: public key plus optional sessionToken, formats as the token endpoint', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  const joined = await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=acme-public&sessionToken=${browser.sessionToken}&format=json` });
  assert.equal(joined.statusCode, 200);
  const direct = (await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC })).json();
  assert.equal((await tokenInfo(app, joined.json().token.access_token)).json().sessionId, (await tokenInfo(app, direct.access_token)).json().sessionId);
  const fresh = await app.inject({ method: 'POST', url: '/v1/shoppers/token.json', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'apiKey=acme-public' });
  assert.equal(typeof fresh.json().token.expires_in, 'string');
  for (const url of ['/v1/shoppers/token', '/v1/shoppers/token?apiKey=acme-app', '/v1/shoppers/token?apiKey=zzz']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 401, url);
    assert.equal(res.json().error, 'invalid_client');
  }
  const bad = await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=acme-public&sessionToken=00000000000000000000000000000000' });
  assert.equal(bad.json().error, 'invalid_grant');
});

test('expired rows are swept so the database does not grow without bound', async (t) => {
  const sut = await buildTestApp(t, { backend });
  const { app, clock, db } = sut;
  for (let i = 0; i < 5; i++) {
    await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
    await browserSessionToken(app);
  }
  const count = async (table: 'sessions' | 'handles' | 'access_tokens'): Promise<number> => await countStored(db, table);
  assert.equal(await count('sessions'), 10);
  clock.advance(86400 + 3600);
  await sweep(sut);
  assert.equal(await count('sessions'), 10, 'recently expired sessions are kept so late callers hear "Session expired"');
  clock.advance(86400);
  await sweep(sut);
  assert.equal(await count('sessions'), 0);
  assert.equal(await count('handles'), 0);
  assert.equal(await count('access_tokens'), 0);
});
});
