import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { Seed } from '../support/seed.js';
import { bearer, exchangeSessionToken, SEED } from '../support/cart-helpers.js';
import { BACKENDS, BASIC, openTestApp, tokenInfo, tokenRequest, type TestApp } from '../support/helpers.js';
import { CART, PageBrowser, PAY } from '../support/page-browser.js';

// Shoppers of their own for the tests that count failures, so the counters of one test never
// lock another's shopper out.
const HTML_USER = `<b>"o'neil"</b>&=`;
const acme = SEED.sites[0]!;
const seed: Seed = {
  sites: [{
    ...acme,
    shoppers: [...(acme.shoppers ?? []),
      { username: 'wrongpw', password: 'Right-Pass-1' },
      { username: 'lockme', password: 'Lock-Pass-1' },
      { username: HTML_USER, password: 'Html-Pass-1', firstName: '<i>Evil</i>', lastName: '"Doe"' }]
  }, ...SEED.sites.slice(1)]
};

async function cartLines(t: TestApp, token: string): Promise<LightMyRequestResponse> {
  return await t.app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(token) });
}

function quantities(res: LightMyRequestResponse): Array<[string, number]> {
  const cart = res.json().cart as { lineItems: { lineItem?: Array<{ quantity: number; product: { id: string } }> } };
  return (cart.lineItems.lineItem ?? []).map((l): [string, number] => [l.product.id, l.quantity]).sort();
}

/** A browser with product 1002 × 2 in its cart, and the app's limited token on that session (from the site action's session token). */
async function shopperWithCart(t: TestApp, ip: string): Promise<{ b: PageBrowser; limited: string; sessionToken: string; csrf: string }> {
  const b = new PageBrowser(t, ip);
  const csrf = await b.csrf();
  assert.equal((await b.post(CART, { csrf, action: 'add', productId: '1002', quantity: '2' })).statusCode, 303);
  const sessionToken = await b.sessionToken();
  return { b, limited: await exchangeSessionToken(t.app, sessionToken), sessionToken, csrf };
}

for (const backend of BACKENDS) {
describe(`Hosted pages: sign-in and sign-out [${backend}]`, () => {
  let t: TestApp;
  before(async () => {
    t = await openTestApp({ config: { secret: 'test-secret-0123456789abcdef' }, seed, backend });
    await t.app.ready();
  });
  after(async () => { await t.close(); });

  it('signing in re-keys the session like the password grant: new cookie, cart carried, the old handles die', async () => {
    const { b, limited, sessionToken, csrf } = await shopperWithCart(t, '10.0.1.1');
    const before = (await tokenInfo(t.app, limited)).json() as { sessionId: string; cartId: string };
    const oldCookie = b.cookie;
    const signIn = await b.post(CART, { csrf, action: 'sign-in', username: 'jane', password: 'Correct-Horse-9' });
    assert.equal(signIn.statusCode, 303, signIn.body);
    assert.equal(signIn.headers.location, CART);
    assert.ok(b.cookie !== null && b.cookie !== oldCookie, 'the cookie is rotated at sign-in');

    // The app's limited token and the session token on the old keys: "re-keyed".
    const dead = await cartLines(t, limited);
    assert.equal(dead.statusCode, 401);
    assert.match(dead.headers['www-authenticate'] as string, /invalid_token/);
    assert.equal(dead.json().errors.error[0].description, 'Session re-keyed at login');
    const exchange = await tokenRequest(t.app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(exchange.statusCode, 400);
    assert.deepEqual(exchange.json(), { error: 'invalid_grant', error_description: 'Session re-keyed at login' });
    // The old cookie is no way back in: it gets a fresh, empty, anonymous session.
    const planted = new PageBrowser(t, '10.0.1.1');
    planted.cookie = oldCookie;
    const plantedPage = await planted.get(CART);
    assert.match(plantedPage.body, /Your cart is empty/);
    assert.doesNotMatch(plantedPage.body, /Signed in as/);
    assert.notEqual(planted.cookie, oldCookie);

    // The browser: signed in, the cart carried, the sign-in form gone and sign-out offered.
    const page = await b.get(CART);
    assert.match(page.body, /id="signed-in">Signed in as <strong>Jane Doe<\/strong>/);
    assert.match(page.body, /name="action" value="sign-out"/);
    assert.doesNotMatch(page.body, /id="signin-username"/);
    assert.match(page.body, /Quantity of Gadget<\/label><input[^>]*value="2"/);

    // The app joins the signed-in session from the site action: same session id and cart; a limited
    // token may read the cart but not the profile.
    const newToken = await b.sessionToken();
    assert.notEqual(newToken, sessionToken);
    const joined = await exchangeSessionToken(t.app, newToken);
    const info = (await tokenInfo(t.app, joined)).json() as { sessionId: string; cartId: string; authenticated: string };
    assert.equal(info.sessionId, before.sessionId);
    assert.equal(info.cartId, before.cartId);
    assert.deepEqual(quantities(await cartLines(t, joined)), [['1002', 2]]);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: bearer(joined) })).statusCode, 403);
    // With the shopper's proof (Digital River's plugin renews with its pre-login session token):
    // a full token on that same session, the profile visible, and no second re-key of the browser.
    const full = await tokenRequest(t.app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(full.statusCode, 200, full.body);
    const fullToken = (full.json() as { access_token: string }).access_token;
    assert.equal(((await tokenInfo(t.app, fullToken)).json() as { sessionId: string }).sessionId, before.sessionId);
    const profile = await t.app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: bearer(fullToken) });
    assert.equal(profile.statusCode, 200);
    assert.equal(profile.json().shopper.username, 'jane');
    assert.match((await b.get(CART)).body, /Signed in as/);
  });

  it('a wrong password: a field error, the username kept (never the password), nothing changed, and it counts toward the lockout', async () => {
    const { b, limited, csrf } = await shopperWithCart(t, '10.0.2.1');
    const cookie = b.cookie;
    const wrong = await b.post(PAY, { csrf, action: 'sign-in', username: 'wrongpw', password: 'Not-The-Pass-77' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /<input id="signin-username" name="username"[^>]*value="wrongpw"/);
    assert.match(wrong.body, /<input id="signin-password"[^>]*value=""[^>]*aria-invalid="true" aria-describedby="signin-password-error">/);
    assert.match(wrong.body, /<p class="field-error" id="signin-password-error">Wrong username or password<\/p>/);
    assert.doesNotMatch(wrong.body, /Not-The-Pass-77/);
    assert.match(wrong.body, /Address &#38; payment/);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal(b.cookie, cookie);
    assert.deepEqual(quantities(await cartLines(t, limited)), [['1002', 2]]);
    assert.doesNotMatch((await b.get(CART)).body, /Signed in as/);
    // Empty fields are refused at the field and count nothing.
    const empty = await b.post(CART, { csrf, action: 'sign-in', username: '', password: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /id="signin-username-error">Enter your username</);
    // One failure on the page + four on the grant = the five that lock the username, for the grant too.
    for (let i = 0; i < 4; i++) {
      const res = await tokenRequest(t.app, { grant_type: 'password', username: 'wrongpw', password: `nope-${i}` }, { authorization: BASIC });
      assert.equal(res.statusCode, 400);
    }
    const locked = await tokenRequest(t.app, { grant_type: 'password', username: 'wrongpw', password: 'Right-Pass-1' }, { authorization: BASIC });
    assert.equal(locked.statusCode, 429);
  });

  it('a locked-out username says so on the page, even with the right password, and the grant is locked too', async () => {
    const { b, limited, csrf } = await shopperWithCart(t, '10.0.3.1');
    for (let i = 0; i < 5; i++) {
      assert.equal((await b.post(CART, { csrf, action: 'sign-in', username: 'lockme', password: `guess-${i}` })).statusCode, 400);
    }
    const cookie = b.cookie;
    const locked = await b.post(CART, { csrf, action: 'sign-in', username: 'lockme', password: 'Lock-Pass-1' });
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match(locked.body, /Too many failed sign-ins[^<]*locked/);
    assert.match(locked.body, /id="signin-username"[^>]*value="lockme"/);
    assert.equal(b.cookie, cookie);
    assert.equal((await cartLines(t, limited)).statusCode, 200, 'the session was not re-keyed');
    const grant = await tokenRequest(t.app, { grant_type: 'password', username: 'lockme', password: 'Lock-Pass-1' }, { authorization: BASIC });
    assert.equal(grant.statusCode, 429);
  });

  it('a sign-in without the right CSRF field changes nothing: the form again (username kept), or a styled 403 without a session', async () => {
    const { b, limited } = await shopperWithCart(t, '10.0.4.1');
    const other = new PageBrowser(t, '10.0.4.2');
    const othersCsrf = await other.csrf();
    for (const csrf of [undefined, '', 'f'.repeat(64), othersCsrf]) {
      const form: Record<string, string> = { action: 'sign-in', username: 'jane', password: 'Correct-Horse-9' };
      if (csrf !== undefined) form.csrf = csrf;
      const res = await b.post(CART, form);
      assert.equal(res.statusCode, 403);
      assert.match(res.body, /role="alert">This form had expired or did not come from this store, so nothing was changed/);
      assert.match(res.body, /id="signin-username"[^>]*value="jane"/);
      assert.doesNotMatch(res.body, /Correct-Horse-9/);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal((await cartLines(t, limited)).statusCode, 200, 'not re-keyed');
    // The re-rendered form carries this session's own field: sent again, it works.
    const retry = await b.post(CART, { action: 'sign-in', username: 'jane', password: 'Correct-Horse-9', csrf: /name="csrf" value="([0-9a-f]{64})"/.exec((await b.post(CART, { action: 'sign-in', username: 'jane', password: 'x' })).body)![1]! });
    assert.equal(retry.statusCode, 303);
    // No session at all (no cookie): the store's 403 page, and no session is made.
    const stranger = new PageBrowser(t, '10.0.4.3');
    const refused = await stranger.post(CART, { csrf: 'f'.repeat(64), action: 'sign-in', username: 'jane', password: 'Correct-Horse-9' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /<a class="brand" href="\/store\/acme\/en_US\/DisplayThreePgCheckoutShoppingCartPage">/);
    assert.match(refused.body, /id="back-to-cart"/);
    assert.equal(stranger.cookie, null);
  });

  it('signing out ends the session (the app\'s tokens hear "Session expired") and continues on a fresh anonymous one', async () => {
    const { b, csrf } = await shopperWithCart(t, '10.0.5.1');
    assert.equal((await b.post(CART, { csrf, action: 'sign-in', username: 'jane', password: 'Correct-Horse-9' })).statusCode, 303);
    const app = await exchangeSessionToken(t.app, await b.sessionToken());
    const signedInCookie = b.cookie;
    const page = await b.get(PAY);
    const payCsrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.body)![1]!;
    // A forged sign-out does nothing.
    assert.equal((await b.post(PAY, { csrf: 'f'.repeat(64), action: 'sign-out' })).statusCode, 403);
    assert.equal((await cartLines(t, app)).statusCode, 200);
    const out = await b.post(PAY, { csrf: payCsrf, action: 'sign-out' });
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, PAY);
    assert.ok(b.cookie !== null && b.cookie !== signedInCookie);
    const ended = await cartLines(t, app);
    assert.equal(ended.statusCode, 401);
    assert.equal(ended.json().errors.error[0].description, 'Session expired');
    const fresh = await b.get(CART);
    assert.doesNotMatch(fresh.body, /Signed in as/);
    assert.match(fresh.body, /id="signin-username"/);
    assert.match(fresh.body, /Your cart is empty/);
    const info = (await tokenInfo(t.app, await exchangeSessionToken(t.app, await b.sessionToken()))).json() as { userId: string };
    assert.equal(info.userId, 'Anonymous');
  });

  it('escapes a username and a name with HTML characters wherever the page shows them', async () => {
    const b = new PageBrowser(t, '10.0.6.1');
    const csrf = await b.csrf();
    const wrong = await b.post(CART, { csrf, action: 'sign-in', username: HTML_USER, password: 'wrong' });
    assert.equal(wrong.statusCode, 400);
    assert.ok(!wrong.body.includes(HTML_USER));
    assert.match(wrong.body, /value="&#60;b&#62;&#34;o&#39;neil&#34;&#60;\/b&#62;&#38;&#61;"/);
    assert.equal((await b.post(CART, { csrf, action: 'sign-in', username: HTML_USER, password: 'Html-Pass-1' })).statusCode, 303);
    const page = await b.get(CART);
    assert.doesNotMatch(page.body, /<i>Evil/);
    assert.match(page.body, /Signed in as <strong>&#60;i&#62;Evil&#60;\/i&#62; &#34;Doe&#34;<\/strong>/);
  });
});
}
