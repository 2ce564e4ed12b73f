// The cart merge at login, over HTTP: an anonymous session's cart carried into the shopper's
// session is merged with the cart the shopper saved in an earlier session — quantities of the same
// product added, each capped at 999, lines of either side kept — and the saved cart is not merged twice.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, BASIC, buildTestApp, tokenInfo, tokenRequest } from '../support/helpers.js';

const JANE = { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' };

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: 'application/json' };
}

async function add(app: FastifyInstance, token: string, productId: string, quantity: number): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v1/shoppers/me/carts/active?productId=${productId}&quantity=${quantity}`, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
}

/** The cart's lines as productId → quantity, and its id. */
async function cartOf(app: FastifyInstance, token: string): Promise<{ id: string; lines: Record<string, number> }> {
  const res = await app.inject({ method: 'GET', url: '/v1/shoppers/me/carts/active', headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  const cart = (res.json() as { cart: { id: string; lineItems: { lineItem: Array<{ quantity: number; product: { id: string } }> } } }).cart;
  const lines: Record<string, number> = {};
  for (const line of cart.lineItems.lineItem) lines[line.product.id] = Number(line.quantity);
  return { id: cart.id, lines };
}

async function anonymous(app: FastifyInstance): Promise<string> {
  const res = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

async function login(app: FastifyInstance, limited: string): Promise<string> {
  const res = await tokenRequest(app, { ...JANE, dr_limited_token: limited }, { authorization: BASIC });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

for (const backend of BACKENDS) describe(`on ${backend}`, () => {
  test('login merges the saved cart into the session\'s: same products add up, capped at 999; other lines of both sides are kept', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    // An earlier visit: Jane signs in and leaves a cart.
    const earlier = (await tokenRequest(app, JANE, { authorization: BASIC })).json() as { access_token: string };
    await add(app, earlier.access_token, '1001', 2);
    await add(app, earlier.access_token, '1002', 998);
    // Today, anonymous first, then she signs in on that session.
    const today = await anonymous(app);
    await add(app, today, '1001', 3);
    await add(app, today, '1002', 5);
    await add(app, today, '1003', 1);
    const before = await cartOf(app, today);
    const signedIn = await login(app, today);
    assert.equal((await tokenInfo(app, signedIn)).json().cartId, before.id, 'the session keeps its own cart');
    const merged = await cartOf(app, signedIn);
    assert.equal(merged.id, before.id);
    assert.deepEqual(merged.lines, { 1001: 5, 1002: 999, 1003: 1 });
  });

  test('a saved cart is merged once: a second login elsewhere does not add it again; an empty saved cart adds nothing', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const earlier = (await tokenRequest(app, JANE, { authorization: BASIC })).json() as { access_token: string };
    await add(app, earlier.access_token, '1001', 4);
    const first = await anonymous(app);
    await add(app, first, '1002', 1);
    const firstIn = await login(app, first);
    assert.deepEqual((await cartOf(app, firstIn)).lines, { 1001: 4, 1002: 1 });
    // Another device: its cart is merged with the one saved cart now (the first device's), not with the spent one.
    const second = await anonymous(app);
    await add(app, second, '1001', 1);
    const secondIn = await login(app, second);
    assert.deepEqual((await cartOf(app, secondIn)).lines, { 1001: 5, 1002: 1 });
    // Signing in with nothing in the cart and nothing saved leaves an empty cart.
    const fresh = await buildTestApp(t, { backend });
    const empty = await login(fresh.app, await anonymous(fresh.app));
    assert.deepEqual((await cartOf(fresh.app, empty)).lines, {});
  });
});
