import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { BASIC, browserSessionToken, buildTestApp, tokenInfo, tokenRequest, BACKENDS, type Backend } from '../support/helpers.js';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];

async function cartLines(app: App, token: string): Promise<Array<{ productId: string; quantity: number }>> {
  const res = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active?format=json', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200, res.body);
  const lines = (res.json() as { cart: { lineItems: { lineItem: Array<{ quantity: number; product: { id: string } }> } } }).cart.lineItems.lineItem;
  return lines.map((l) => ({ productId: l.product.id, quantity: l.quantity })).sort((a, b) => a.productId.localeCompare(b.productId));
}

async function addLine(app: App, token: string, productId: string, quantity: number): Promise<void> {
  const res = await app.inject({
    method: 'POST', url: `/v1/shoppers/me/carts/active/line-items?productId=${productId}&quantity=${quantity}&format=json`,
    headers: { authorization: `Bearer ${token}` }
  });
  assert.ok(res.statusCode < 300, res.body);
}

async function race(t: TestContext, backend: Backend): Promise<void> {
  const { app } = await buildTestApp(t, { backend });
  // Jane saved a cart in an earlier session: one Gadget ×2.
  const earlier = await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC });
  await addLine(app, (earlier.json() as { access_token: string }).access_token, '1002', 2);
  // Now, anonymous in a browser: one Widget ×1 in the session's cart.
  const browser = await browserSessionToken(app);
  const limited = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  const limitedToken = (limited.json() as { access_token: string }).access_token;
  await addLine(app, limitedToken, '1001', 1);
  const anonymousInfo = (await tokenInfo(app, limitedToken)).json() as { sessionId: string; cartId: string };

  const answers: LightMyRequestResponse[] = await Promise.all(Array.from({ length: 10 }, async () =>
    await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: browser.sessionToken }, { authorization: BASIC })));
  for (const res of answers) {
    assert.ok(res.statusCode < 500, `no 5xx: ${res.statusCode} ${res.body}`);
    if (res.statusCode !== 200) {
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error, 'invalid_grant');
    }
  }
  const wins = answers.filter((r) => r.statusCode === 200).map((r) => (r.json() as { access_token: string }).access_token);
  // The session is re-keyed once, by the first login; the others held a handle that died at that
  // same shopper's re-keying, and a grant that proves the shopper joins it.
  assert.equal(wins.length, 10, 'every login of the same shopper ends on the one session');
  for (const token of wins) {
    const info = await tokenInfo(app, token);
    assert.equal(info.statusCode, 200, `every success is a live token: ${info.body}`);
    const body = info.json() as { sessionId: string; cartId: string; authenticated: string; userId: string };
    assert.equal(body.authenticated, 'true');
    assert.notEqual(body.userId, 'Anonymous');
    assert.equal(body.sessionId, anonymousInfo.sessionId, 'the one session keeps its id');
    assert.equal(body.cartId, anonymousInfo.cartId, 'and its cart');
    assert.deepEqual(await cartLines(app, token), [{ productId: '1001', quantity: 1 }, { productId: '1002', quantity: 2 }], 'each line carried exactly once');
  }
  // Every handle from before the login is dead.
  const stale = await tokenRequest(app, { grant_type: 'password', dr_session_token: browser.sessionToken }, { authorization: BASIC });
  assert.equal(stale.statusCode, 400);
  assert.equal(stale.json().error, 'invalid_grant');
  assert.equal((await tokenInfo(app, limitedToken)).statusCode, 401);
  const viaCookie = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json&apiKey=acme-public', headers: { cookie: `SLSESSION=${browser.cookie}` } });
  assert.equal(viaCookie.statusCode, 200);
  const cookieToken = (viaCookie.json() as { token: { access_token: string } }).token.access_token;
  const cookieInfo = (await tokenInfo(app, cookieToken)).json() as { sessionId: string; authenticated: string };
  assert.notEqual(cookieInfo.sessionId, anonymousInfo.sessionId, 'the old cookie does not reach the logged-in session');
  assert.equal(cookieInfo.authenticated, 'false');
}

test('ten parallel logins on one anonymous session (SQLite): one session, cart carried once, old handles dead', async (t) => {
  await race(t, 'sqlite');
});

if (BACKENDS.includes('postgres')) test('ten parallel logins on one anonymous session (PostgreSQL)', async (t) => {
  await race(t, 'postgres');
});
