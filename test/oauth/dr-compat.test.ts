import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { APP_KEY, APP_SECRET, BASIC, browserSessionToken, buildTestApp, form, OTHER_SITE, tokenInfo, tokenRequest, BACKENDS, type Backend } from '../support/helpers.js';
import { countStored, shoppersWithExternalRef } from '../support/reader.js';

/**
 * Issue 14: Digital River's own client code (its WordPress plugin's PHP services and browser
 * script) works unchanged. Each test below is one break that code found, asked the way that code
 * asks it (headers, body shapes, parameter names).
 */

const JSON_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };
const B64 = (s: string): string => Buffer.from(s).toString('base64');

interface TokenDoc { access_token: string; token_type: string; expires_in: number | string; refresh_token: string }
interface Info { sessionId: string; userId: string; externalReferenceId: string; authenticated: string; locale: string; currency: string; cartId: string; clientIpAddress: string }
interface ErrorDoc { errors: { error: Array<{ relation: string; code: string; description: string }> } }

async function limitedToken(app: FastifyInstance, values: Record<string, string> = {}): Promise<string> {
  const res = await tokenRequest(app, { grant_type: 'password', ...values }, { authorization: BASIC });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as TokenDoc).access_token;
}

async function info(app: FastifyInstance, token: string): Promise<Info> {
  const res = await tokenInfo(app, token);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Info;
}

/** A Shopper API call the way the plugin's PHP and browser code make it: Bearer, Accept and Content-Type JSON. */
async function api(app: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: unknown): Promise<LightMyRequestResponse> {
  return await app.inject({
    method, url, headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) })
  });
}

/** The same call with a form body (the flat form every route also takes). */
async function apiForm(app: FastifyInstance, url: string, token: string, values: Record<string, string>): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST', url,
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
    payload: form(values)
  });
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
describe('1. one format rule', () => {
  test('the site action answers JSON to Accept: application/json without format (the plugin\'s generate_dr_session_token)', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const res = await app.inject({ method: 'GET', url: '/store/acme/SessionToken', headers: { accept: 'application/json', 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.match((res.json() as { session_token: string }).session_token, /^[0-9A-F]{32}$/);
    const withKey = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public', headers: { accept: 'application/json' } });
    assert.equal(withKey.statusCode, 200);
    assert.equal((withKey.json() as { token: TokenDoc }).token.token_type, 'bearer');
    // An error the same way: JSON, not XML.
    const bad = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-app', headers: { accept: 'application/json' } });
    assert.equal(bad.statusCode, 401);
    assert.equal((bad.json() as { error: string }).error, 'invalid_client');
    // format wins over Accept; without a JSON Accept the default stays XML.
    const xml = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=xml', headers: { accept: 'application/json' } });
    assert.match(String(xml.headers['content-type']), /^application\/xml/);
    const plain = await app.inject({ method: 'GET', url: '/store/acme/SessionToken', headers: { accept: '*/*' } });
    assert.match(plain.body, /<session_token>[0-9A-F]{32}<\/session_token>/);
  });

  test('the token endpoints keep the plain RFC 6749 body under Accept: application/json; the Shopper API and token info follow Accept', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await app.inject({
      method: 'POST', url: '/oauth20/token',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', authorization: BASIC },
      payload: 'grant_type=password'
    });
    assert.equal(token.statusCode, 200);
    const doc = token.json() as TokenDoc;
    assert.equal(typeof doc.expires_in, 'number', 'plain body: what the plugin and OAuth libraries read');
    const v1 = await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=acme-public', headers: { accept: 'application/json' } });
    assert.equal(typeof (v1.json() as TokenDoc).access_token, 'string');
    const me = await api(app, 'GET', '/v1/shoppers/me', doc.access_token);
    assert.equal((me.json() as { shopper: { id: string } }).shopper.id, 'Anonymous');
    const meXml = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${doc.access_token}` } });
    assert.match(String(meXml.headers['content-type']), /^application\/xml/);
    const infoXml = await app.inject({ method: 'GET', url: `/oauth20/access-tokens?token=${doc.access_token}&format=xml`, headers: { accept: 'application/json' } });
    assert.match(infoXml.body, /<sessionId>/);
    // Token info with the documented suffixes: the suffix picks the format.
    const suffixXml = await app.inject({ method: 'GET', url: `/oauth20/access-tokens.xml?token=${doc.access_token}`, headers: { accept: 'application/json' } });
    assert.equal(suffixXml.statusCode, 200);
    assert.match(suffixXml.body, /<token><sessionId>/);
    const suffixJson = await app.inject({ method: 'GET', url: `/oauth20/access-tokens.json?token=${doc.access_token}&format=xml` });
    assert.equal((suffixJson.json() as Info).authenticated, 'false');
    assert.equal((await app.inject({ method: 'POST', url: '/oauth20/access-tokens.json' })).statusCode, 405);
  });
});

describe('2. wrapped JSON bodies, and the flat forms', () => {
  test('POST /v1/shoppers/me: {"shopper":{"locale","currency"}} (update_locale_and_currency), a form body and the query', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const wrapped = await api(app, 'POST', '/v1/shoppers/me', token, { shopper: { locale: 'de_DE', currency: 'EUR' } });
    assert.equal(wrapped.statusCode, 200, wrapped.body);
    assert.equal((wrapped.json() as { shopper: { locale: string } }).shopper.locale, 'de_DE');
    let now = await info(app, token);
    assert.deepEqual([now.locale, now.currency], ['de_DE', 'EUR']);
    const flat = await apiForm(app, '/v1/shoppers/me', token, { locale: 'fr_FR', currency: 'USD' });
    assert.equal(flat.statusCode, 200);
    now = await info(app, token);
    assert.deepEqual([now.locale, now.currency], ['fr_FR', 'USD']);
    const query = await api(app, 'POST', '/v1/shoppers/me?locale=en_GB&currency=GBP', token);
    assert.equal(query.statusCode, 200);
    assert.equal((await info(app, token)).locale, 'en_GB');
    // A limited token still may not change the profile, wrapped or not.
    const profile = await api(app, 'POST', '/v1/shoppers/me', token, { shopper: { firstName: 'Mallory' } });
    assert.equal(profile.statusCode, 403);
    // A wrapper that is not an object is a clear 400, and changes nothing.
    const bad = await api(app, 'POST', '/v1/shoppers/me', token, { shopper: 'de_DE' });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as ErrorDoc).errors.error[0]!.description, /"shopper" must be an object/);
    const badLocale = await api(app, 'POST', '/v1/shoppers/me', token, { shopper: { locale: 'not a locale', currency: 'JPY' } });
    assert.equal(badLocale.statusCode, 400);
    assert.deepEqual([(await info(app, token)).locale, (await info(app, token)).currency], ['en_GB', 'GBP']);
  });

  test('a full token changes the password with {"shopper":{"password":"<base64>"}} (update_shopper_password), checked by the password rule, and the username (409 when taken)', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const login = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: B64('Correct-Horse-9') }, { authorization: BASIC });
    const full = (login.json() as TokenDoc).access_token;
    const weak = await api(app, 'POST', '/v1/shoppers/me', full, { shopper: { password: B64('short') } });
    assert.equal(weak.statusCode, 400);
    assert.equal((weak.json() as ErrorDoc).errors.error[0]!.code, 'password-failure');
    const changed = await api(app, 'POST', '/v1/shoppers/me', full, { shopper: { password: B64('Battery-Staple-7') } });
    assert.equal(changed.statusCode, 200, changed.body);
    const old = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC });
    assert.equal(old.statusCode, 400);
    const fresh = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Battery-Staple-7' }, { authorization: BASIC });
    assert.equal(fresh.statusCode, 200);
    // The username too: a taken one is 409, a free one is the new login.
    const freshToken = (fresh.json() as TokenDoc).access_token;
    const registered = await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS,
      payload: JSON.stringify({ shopper: { username: 'taken@example.com', password: 'Tr0ub4dor&3x', emailAddress: 'taken@example.com' } }) });
    assert.equal(registered.statusCode, 201);
    assert.equal((await api(app, 'POST', '/v1/shoppers/me', freshToken, { shopper: { username: 'taken@example.com' } })).statusCode, 409);
    assert.equal((await api(app, 'POST', '/v1/shoppers/me', freshToken, { shopper: { username: 'jane.doe' } })).statusCode, 200);
    const renamed = await tokenRequest(app, { grant_type: 'password', username: 'jane.doe', password: 'Battery-Staple-7' }, { authorization: BASIC });
    assert.equal(renamed.statusCode, 200);
  });

  test('cart routes: {"cart":{"lineItems":{"lineItem":[…]}}}, {"cart":""}, {"lineItems":…}, {"lineItem":{"quantity"}} and their flat forms', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const lines = (res: LightMyRequestResponse): Array<{ id: string; quantity: number | string; product: { id: string } }> =>
      (res.json() as { cart: { lineItems: { lineItem: Array<{ id: string; quantity: number; product: { id: string } }> } } }).cart.lineItems.lineItem;
    // create_new_cart posts {"cart":""}; update_tems_us_status posts custom attributes: both fine, no change.
    assert.equal((await api(app, 'POST', '/v1/shoppers/me/carts/active', token, { cart: '' })).statusCode, 200);
    const attrs = await api(app, 'POST', '/v1/shoppers/me/carts/active', token, { cart: { customAttributes: { attribute: [{ name: 'TAX_EXEMPTION_US_STATUS', value: 'x' }] } } });
    assert.equal(attrs.statusCode, 200, attrs.body);
    const wrapped = await api(app, 'POST', '/v1/shoppers/me/carts/active', token, { cart: { lineItems: { lineItem: [{ quantity: '2', product: { id: '1001' } }] } } });
    assert.equal(wrapped.statusCode, 200, wrapped.body);
    assert.equal(Number(lines(wrapped)[0]!.quantity), 2);
    const flat = await apiForm(app, '/v1/shoppers/me/carts/active', token, { productId: '1001', quantity: '1' });
    assert.equal(Number(lines(flat)[0]!.quantity), 3);
    // line-items: a wrapped list, then the plugin's own query form.
    const list = await api(app, 'POST', '/v1/shoppers/me/carts/active/line-items', token, { lineItems: { lineItem: { quantity: '1', product: { id: '1001' } } } });
    assert.equal(list.statusCode, 200, list.body);
    const byQuery = await api(app, 'POST', '/v1/shoppers/me/carts/active/line-items?productId=1001&quantity=1', token);
    assert.equal(byQuery.statusCode, 200);
    const cart = await api(app, 'GET', '/v1/shoppers/me/carts/active', token);
    const line = lines(cart)[0]!;
    assert.equal(Number(line.quantity), 5);
    // One line: {"lineItem":{"quantity":"7"}} and quantity=4 in a form.
    const one = await api(app, 'POST', `/v1/shoppers/me/carts/active/line-items/${line.id}`, token, { lineItem: { quantity: '7' } });
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(Number((one.json() as { lineItem: { quantity: number } }).lineItem.quantity), 7);
    const oneFlat = await apiForm(app, `/v1/shoppers/me/carts/active/line-items/${line.id}`, token, { quantity: '4' });
    assert.equal(Number((oneFlat.json() as { lineItem: { quantity: number } }).lineItem.quantity), 4);
    // A malformed line item is a 400 that changes nothing.
    const bad = await api(app, 'POST', '/v1/shoppers/me/carts/active', token, { cart: { lineItems: { lineItem: [{ quantity: '1' }] } } });
    assert.equal(bad.statusCode, 400);
    assert.equal(Number(lines(await api(app, 'GET', '/v1/shoppers/me/carts/active', token))[0]!.quantity), 4);
  });

  test('submit-cart with {"cart":{"termsOfSalesAcceptance":"true","ipAddress":"…"}}, with a form body, and as the browser script sends it', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    for (const how of ['wrapped', 'form', 'query'] as const) {
      const token = await limitedToken(app);
      assert.equal((await apiForm(app, '/v1/shoppers/me/carts/active', token, { productId: '1001' })).statusCode, 200);
      const url = '/v1/shoppers/me/carts/active/submit-cart';
      const res = how === 'wrapped'
        ? await api(app, 'POST', url, token, { cart: { termsOfSalesAcceptance: 'true', ipAddress: '203.0.113.9' } })
        : how === 'form'
          ? await apiForm(app, url, token, { termsOfSalesAcceptance: 'true', ipAddress: '203.0.113.9' })
          : await api(app, 'POST', `${url}?ipAddress=203.0.113.9`, token);
      assert.equal(res.statusCode, 200, `${how}: ${res.body}`);
      assert.match((res.json() as { submitCart: { order: { id: string } } }).submitCart.order.id, /.+/);
    }
  });

  test('web-checkout POST takes {"cart":{…}} and the flat productId', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const wrapped = await api(app, 'POST', '/v1/shoppers/me/carts/active/web-checkout', token, { cart: { lineItems: { lineItem: { quantity: '1', product: { id: '1001' } } } } });
    assert.equal(wrapped.statusCode, 302);
    const flat = await apiForm(app, '/v1/shoppers/me/carts/active/web-checkout', token, { productId: '1001' });
    assert.equal(flat.statusCode, 302);
    const cart = await api(app, 'GET', '/v1/shoppers/me/carts/active', token);
    assert.equal((cart.json() as { cart: { totalItemsInCart: number } }).cart.totalItemsInCart, 2);
  });
});

const clientIpCase = async (t: TestContext, backend: Backend = 'sqlite'): Promise<void> => {
  const { app, clock } = await buildTestApp(t, { backend });
  const site = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', remoteAddress: '198.51.100.1' });
  const sessionToken = (site.json() as { session_token: string }).session_token;
  const anon = await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: '198.51.100.2',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC }, payload: form({ grant_type: 'password', dr_session_token: sessionToken })
  });
  const token = (anon.json() as TokenDoc).access_token;
  assert.equal((await info(app, token)).clientIpAddress, '198.51.100.1', 'the browser that made the session');
  const login = await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: '198.51.100.3',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
    payload: form({ grant_type: 'client_credentials', dr_external_reference_id: 'ext-ip', dr_session_token: sessionToken })
  });
  assert.equal(login.statusCode, 200, login.body);
  assert.equal((await info(app, (login.json() as TokenDoc).access_token)).clientIpAddress, '198.51.100.3', 'the sign-in');
  // OTHER_SITE has an idle timeout: each use is recorded, and with it the address.
  const other = await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: '198.51.100.4',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + B64('other-app:other-secret-456') }, payload: 'grant_type=password'
  });
  const otherToken = (other.json() as TokenDoc).access_token;
  clock.advance(5);
  const used = await app.inject({ method: 'GET', url: '/v1/shoppers/me?format=json', remoteAddress: '203.0.113.50', headers: { authorization: `Bearer ${otherToken}` } });
  assert.equal(used.statusCode, 200);
  const after = await app.inject({ method: 'GET', url: `/oauth20/access-tokens?token=${otherToken}`, remoteAddress: '203.0.113.50' });
  assert.equal((after.json() as Info).clientIpAddress, '203.0.113.50');
};
test('3. token info has clientIpAddress: where the session was created, signed in, and (idle-timeout sites) last used', async (t) => await clientIpCase(t, backend));

describe('5. renewal after login with the pre-login handle', () => {
  const renewalCase = async (t: TestContext, backend: Backend = 'sqlite'): Promise<void> => {
    const { app, db } = await buildTestApp(t, { backend });
    const { sessionToken } = await browserSessionToken(app);
    const anon = await limitedToken(app, { dr_session_token: sessionToken });
    const cartId = (await info(app, anon)).cartId;
    const signIn = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'wp-user-1', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const first = (signIn.json() as TokenDoc).access_token;
    const signedIn = await info(app, first);
    assert.equal(signedIn.authenticated, 'true');
    // The plugin's renewal: the same grant with the session token it kept from before the login.
    const renew = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'wp-user-1', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(renew.statusCode, 200, renew.body);
    const renewed = await info(app, (renew.json() as TokenDoc).access_token);
    assert.deepEqual([renewed.sessionId, renewed.cartId, renewed.authenticated, renewed.externalReferenceId], [signedIn.sessionId, cartId, 'true', 'wp-user-1']);
    // Joined, not re-keyed again: the first full token lives on.
    assert.equal((await tokenInfo(app, first)).statusCode, 200);
    // Without a proof of the shopper, or for another shopper, the dead handle is still dead.
    const noProof = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(noProof.statusCode, 400);
    assert.equal((noProof.json() as { error_description: string }).error_description, 'Session re-keyed at login');
    const other = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'wp-user-2', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(other.statusCode, 400);
    assert.deepEqual(other.json(), { error: 'invalid_grant', error_description: 'Session re-keyed at login' });
    assert.equal(await shoppersWithExternalRef(db, 'wp-user-2'), 0, 'a refused grant creates no shopper');
    const jane = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(jane.statusCode, 400);
    assert.equal((jane.json() as { error_description: string }).error_description, 'Session re-keyed at login');
  };
  test('client_credentials + dr_external_reference_id + the dead session token joins that shopper\'s session; another shopper or no proof hears "re-keyed"', async (t) => await renewalCase(t, backend));

  test('the password grant and dr_limited_token work the same way', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const anon = await limitedToken(app);
    const login = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: B64('Correct-Horse-9'), dr_limited_token: anon }, { authorization: BASIC });
    assert.equal(login.statusCode, 200, login.body);
    const sessionId = (await info(app, (login.json() as TokenDoc).access_token)).sessionId;
    const again = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_limited_token: anon }, { authorization: BASIC });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((await info(app, (again.json() as TokenDoc).access_token)).sessionId, sessionId);
    const stranger = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'someone-else', dr_limited_token: anon }, { authorization: BASIC });
    assert.equal(stranger.statusCode, 400);
    assert.equal((stranger.json() as { error: string }).error, 'dr_limited_token_invalid');
  });
});

const joinedGuestCase = async (t: TestContext, backend: Backend = 'sqlite'): Promise<void> => {
  const { app } = await buildTestApp(t, { backend });
  const madeUp = await tokenRequest(app, { grant_type: 'client_credentials', dr_session_token: 'A'.repeat(32) }, { authorization: BASIC });
  assert.equal(madeUp.statusCode, 400);
  assert.equal((madeUp.json() as { error: string }).error, 'invalid_grant');
  const badLimited = await tokenRequest(app, { grant_type: 'client_credentials', dr_limited_token: 'ab'.repeat(40) }, { authorization: BASIC });
  assert.equal(badLimited.statusCode, 400);
  assert.equal((badLimited.json() as { error: string }).error, 'dr_limited_token_invalid');
  const { sessionToken } = await browserSessionToken(app);
  const anon = await limitedToken(app, { dr_session_token: sessionToken });
  const joined = await tokenRequest(app, { grant_type: 'client_credentials', sessionToken }, { authorization: BASIC });
  assert.equal(joined.statusCode, 200, joined.body);
  const joinedInfo = await info(app, (joined.json() as TokenDoc).access_token);
  assert.equal(joinedInfo.sessionId, (await info(app, anon)).sessionId);
  assert.equal(joinedInfo.authenticated, 'false');
  const byLimited = await tokenRequest(app, { grant_type: 'client_credentials', dr_limited_token: anon }, { authorization: BASIC });
  assert.equal(byLimited.statusCode, 200);
  assert.equal((await info(app, (byLimited.json() as TokenDoc).access_token)).sessionId, joinedInfo.sessionId);
};
test('6. client_credentials without an external id checks dr_session_token / dr_limited_token and joins the named session', async (t) => await joinedGuestCase(t, backend));

describe('7. registration: POST /v1/shoppers', () => {
  const SHOPPER = { username: 'max@example.com', password: B64('Tr0ub4dor&3x'), firstName: 'Max', lastName: 'Muster', emailAddress: 'max@example.com' };

  const registrationCase = async (t: TestContext, backend: Backend = 'sqlite'): Promise<void> => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    const res = await api(app, 'POST', '/v1/shoppers', token, { shopper: { ...SHOPPER, externalReferenceId: 'wp-42' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['set-cookie'], undefined, 'signs nobody in');
    const id = (res.json() as { shopper: { id: string } }).shopper.id;
    assert.equal((await info(app, token)).authenticated, 'false', 'the caller\'s session is untouched');
    const byRef = await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'wp-42' }, { authorization: BASIC });
    assert.equal(byRef.statusCode, 200, byRef.body);
    assert.equal((await info(app, (byRef.json() as TokenDoc).access_token)).userId, id);
    const byPassword = await tokenRequest(app, { grant_type: 'password', username: SHOPPER.username, password: SHOPPER.password }, { authorization: BASIC });
    assert.equal(byPassword.statusCode, 200, byPassword.body);
    const me = await api(app, 'GET', '/v1/shoppers/me', (byPassword.json() as TokenDoc).access_token);
    assert.deepEqual((me.json() as { shopper: { id: string; firstName: string; emailAddress: string } }).shopper.id, id);
    // Taken username, taken external id: 409, nothing written.
    const dupName = await api(app, 'POST', '/v1/shoppers', token, { shopper: { ...SHOPPER, externalReferenceId: 'wp-43' } });
    assert.equal(dupName.statusCode, 409);
    const dupRef = await api(app, 'POST', '/v1/shoppers', token, { shopper: { ...SHOPPER, username: 'other@example.com', externalReferenceId: 'wp-42' } });
    assert.equal(dupRef.statusCode, 409);
    const wp43 = await tokenRequest(app, { grant_type: 'password', username: 'other@example.com', password: SHOPPER.password }, { authorization: BASIC });
    assert.equal(wp43.statusCode, 400);
  };
  test('the plugin\'s create_shopper: {"shopper":{…,"externalReferenceId"}} with its token, then client_credentials and the password grant sign that shopper in', async (t) => await registrationCase(t, backend));

  test('a public apiKey with a form or a flat JSON body; weak password, bad e-mail, missing fields: 400 saying why, nothing created', async (t) => {
    const { app, db } = await buildTestApp(t, { backend });
    const count = async (): Promise<number> => await countStored(db, 'shoppers');
    const before = await count();
    const weak = await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, payload: JSON.stringify({ shopper: { ...SHOPPER, password: 'password' } }) });
    assert.equal(weak.statusCode, 400);
    const weakError = (weak.json() as ErrorDoc).errors.error[0]!;
    assert.equal(weakError.code, 'password-failure');
    assert.match(weakError.description, /8 to 64 characters.*three of/);
    const email = await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, payload: JSON.stringify({ shopper: { ...SHOPPER, emailAddress: 'not-an-address' } }) });
    assert.equal(email.statusCode, 400);
    assert.match((email.json() as ErrorDoc).errors.error[0]!.description, /emailAddress/);
    const missing = await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, payload: JSON.stringify({ shopper: { username: 'x@example.com' } }) });
    assert.equal(missing.statusCode, 400);
    assert.equal(await count(), before);
    const byForm = await app.inject({
      method: 'POST', url: '/v1/shoppers', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ apiKey: 'acme-public', ...SHOPPER })
    });
    assert.equal(byForm.statusCode, 201, byForm.body);
    const flatJson = await app.inject({ method: 'POST', url: '/v1/shoppers.json?apiKey=acme-public', headers: JSON_HEADERS, payload: JSON.stringify({ ...SHOPPER, username: 'flat@example.com' }) });
    assert.equal(flatJson.statusCode, 201, flatJson.body);
    assert.equal(await count(), before + 2);
    const login = await tokenRequest(app, { grant_type: 'password', username: 'flat@example.com', password: 'Tr0ub4dor&3x' }, { authorization: BASIC });
    assert.equal(login.statusCode, 200);
  });

  test('who may register: no credentials → 401, a confidential key named alone → 401, an externalReferenceId needs the site\'s server → 403', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const body = JSON.stringify({ shopper: { ...SHOPPER, externalReferenceId: 'claimed' } });
    assert.equal((await app.inject({ method: 'POST', url: '/v1/shoppers', headers: JSON_HEADERS, payload: body })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-app', headers: JSON_HEADERS, payload: body })).statusCode, 401);
    const publicKey = await app.inject({ method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, payload: body });
    assert.equal(publicKey.statusCode, 403);
    const browserToken = (await app.inject({ method: 'GET', url: '/store/acme/SessionToken?apiKey=acme-public&format=json' })).json() as { token: TokenDoc };
    assert.equal((await api(app, 'POST', '/v1/shoppers', browserToken.token.access_token, JSON.parse(body))).statusCode, 403);
    const basic = await app.inject({ method: 'POST', url: '/v1/shoppers', headers: { ...JSON_HEADERS, authorization: 'Basic ' + B64(`${APP_KEY}:${APP_SECRET}`) }, payload: body });
    assert.equal(basic.statusCode, 201, basic.body);
    const otherSiteToken = (await tokenRequest(app, { grant_type: 'password' }, { authorization: 'Basic ' + B64('other-app:other-secret-456') })).json() as TokenDoc;
    const mixed = await api(app, 'POST', '/v1/shoppers?apiKey=acme-public', otherSiteToken.access_token, { shopper: { ...SHOPPER, username: 'mixed@example.com' } });
    assert.equal(mixed.statusCode, 403);
  });

  test('registrations are rate-limited per IP like new guest sessions', async (t) => {
    const seed: Seed = { sites: [{ ...DEMO_SEED.sites[0]!, limits: { newSessionsPerIP: 2 } }, OTHER_SITE] };
    const { app } = await buildTestApp(t, { backend, seed });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({
        method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, remoteAddress: '192.0.2.77',
        payload: JSON.stringify({ shopper: { ...SHOPPER, username: `u${i}@example.com` } })
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) assert.equal((res.json() as ErrorDoc).errors.error[0]!.code, 'rate-limit-exceeded');
    }
    assert.deepEqual(statuses, [201, 201, 429]);
    const elsewhere = await app.inject({
      method: 'POST', url: '/v1/shoppers?apiKey=acme-public', headers: JSON_HEADERS, remoteAddress: '192.0.2.78',
      payload: JSON.stringify({ shopper: { ...SHOPPER, username: 'u9@example.com' } })
    });
    assert.equal(elsewhere.statusCode, 201);
  });
});

describe('4. CORS on the Bearer routes', () => {
  const SHOP = 'https://shop.acme.example';
  const ANY = 'https://merchant.example';

  test('a site without allowedOrigins: the Shopper API, token endpoint, token info and registration answer any origin with *, preflight included, never credentials', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const token = await limitedToken(app);
    for (const url of ['/v1/shoppers/me', '/v1/shoppers/me/carts/active', '/oauth20/token', '/oauth20/access-tokens', '/v1/shoppers']) {
      const pre = await app.inject({ method: 'OPTIONS', url, headers: { origin: ANY, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
      assert.equal(pre.statusCode, 204);
      assert.equal(pre.headers['access-control-allow-origin'], '*', url);
      assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/);
      assert.equal(pre.headers['access-control-allow-credentials'], undefined);
    }
    const me = await app.inject({ method: 'POST', url: '/v1/shoppers/me', headers: { ...JSON_HEADERS, origin: ANY, authorization: `Bearer ${token}` }, payload: JSON.stringify({ shopper: { currency: 'EUR' } }) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.headers['access-control-allow-origin'], '*');
    assert.equal(me.headers['access-control-allow-credentials'], undefined);
    const infoRes = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { origin: ANY, authorization: `Bearer ${token}` } });
    assert.equal(infoRes.headers['access-control-allow-origin'], '*');
    const grant = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { origin: ANY, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&client_id=acme-public' });
    assert.equal(grant.headers['access-control-allow-origin'], '*');
    // Credentialed CORS stays on the site action, and only for listed origins: none here.
    const action = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', headers: { origin: ANY } });
    assert.equal(action.headers['access-control-allow-origin'], undefined);
    // Introspection is for servers.
    const introspect = await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: { origin: ANY, authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ token }) });
    assert.equal(introspect.headers['access-control-allow-origin'], undefined);
  });

  test('allowedOrigins narrows the answer once the token names the site', async (t) => {
    const seed: Seed = { sites: [{ ...DEMO_SEED.sites[0]!, allowedOrigins: [SHOP] }, OTHER_SITE, { id: 'open', name: 'Open', apiKeys: [{ key: 'open-public', type: 'public' }] }] };
    const { app } = await buildTestApp(t, { backend, seed });
    const token = await limitedToken(app);
    const listed = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: SHOP, authorization: `Bearer ${token}` } });
    assert.equal(listed.headers['access-control-allow-origin'], SHOP);
    const unlisted = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: ANY, authorization: `Bearer ${token}` } });
    assert.equal(unlisted.headers['access-control-allow-origin'], undefined);
    // The preflight carries no token: it answers as some site would, and the request is narrowed.
    const pre = await app.inject({ method: 'OPTIONS', url: '/v1/shoppers/me', headers: { origin: ANY, 'access-control-request-method': 'GET' } });
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    const preByKey = await app.inject({ method: 'OPTIONS', url: '/oauth20/token?client_id=acme-public', headers: { origin: ANY, 'access-control-request-method': 'POST' } });
    assert.equal(preByKey.headers['access-control-allow-origin'], undefined);
    // Revocation is narrowed by the client's site too.
    const revoke = async (origin: string): Promise<LightMyRequestResponse> => await app.inject({
      method: 'POST', url: '/oauth20/revoke', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ token: 'x', client_id: 'acme-public' })
    });
    assert.equal((await revoke(ANY)).headers['access-control-allow-origin'], undefined);
    assert.equal((await revoke(SHOP)).headers['access-control-allow-origin'], SHOP);
    const openToken = (await tokenRequest(app, { grant_type: 'password', client_id: 'open-public' })).json() as TokenDoc;
    const open = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { origin: ANY, authorization: `Bearer ${openToken.access_token}` } });
    assert.equal(open.headers['access-control-allow-origin'], '*');
  });
});

test('8. error relation URLs are built from PUBLIC_API_URL, never from the Host header', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const res = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active?token=nope&format=json', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
  assert.equal(res.statusCode, 401);
  const relation = (res.json() as ErrorDoc).errors.error[0]!.relation;
  assert.equal(relation, 'http://api.test/v1/shoppers/me/carts/active');
  const token = await limitedToken(app);
  const notFound = await app.inject({ method: 'GET', url: '/v1/shoppers/me/products/nope', headers: { host: 'evil.example', accept: 'application/json', authorization: `Bearer ${token}` } });
  assert.equal(notFound.statusCode, 404);
  assert.equal((notFound.json() as ErrorDoc).errors.error[0]!.relation, 'http://api.test/v1/shoppers/me/products/nope');
});

test('a Shopper API path that does not exist (the plugin\'s GET /v1/shoppers/site) answers 404 in the Shopper API error body, which the plugin reads as an error', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const token = await limitedToken(app);
  for (const url of ['/v1/shoppers/site', '/v1/shoppers/me/addresses', '/v1/shoppers/me/carts/active/line-itemsproductId=1001']) {
    const res = await api(app, 'GET', url, token);
    assert.equal(res.statusCode, 404, url);
    const error = (res.json() as ErrorDoc).errors.error[0]!;
    assert.equal(error.code, 'resource-not-found');
    assert.equal(error.relation, `http://api.test${url}`);
  }
  // The OAuth routes keep the OAuth body.
  const oauth = await app.inject({ method: 'GET', url: '/oauth20/nope', headers: { accept: 'application/json' } });
  assert.equal((oauth.json() as { error: string }).error, 'resource-not-found');
});
});
