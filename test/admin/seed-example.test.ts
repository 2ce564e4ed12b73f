import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeedFile } from '../support/seed.js';
import { buildTestApp, form } from '../support/helpers.js';
import { startServer, stopServer } from '../process/server-process.js';

const SEED_FILE = 'examples/seed.json';
const SERVER_BASIC = 'Basic ' + Buffer.from('northwind-server:change-me-northwind-server-secret').toString('base64');

test('examples/seed.json is valid and every kind of thing in it works over HTTP', async (t) => {
  const seed = readSeedFile(SEED_FILE);
  const { app } = await buildTestApp(t, { seed });
  // The confidential key logs the seeded shopper in.
  const login = await app.inject({
    method: 'POST', url: '/oauth20/token', headers: { authorization: SERVER_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ grant_type: 'password', username: 'alex', password: 'Example-Pass-42' })
  });
  assert.equal(login.statusCode, 200, login.body);
  const token = (login.json() as { access_token: string }).access_token;
  const auth = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const me = (await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: auth })).json() as { shopper: { firstName: string; currency: string } };
  assert.deepEqual([me.shopper.firstName, me.shopper.currency], ['Alex', 'USD']);
  const products = (await app.inject({ method: 'GET', url: '/v1/shoppers/me/products', headers: auth })).json() as { products: { product: Array<{ id: string; pricing: { listPrice: { value: string } } }> } };
  assert.deepEqual(products.products.product.map((p) => p.id).sort(), ['mug', 'stove', 'tent-2p']);
  // The idle timeout of its session block shows in expires_in (the earlier of ttl and idle).
  assert.equal((login.json() as { expires_in: number }).expires_in, 1800);
  // sessionTokenExchange "confidential": the public key may not exchange a session token.
  const site = await app.inject({ method: 'GET', url: '/store/northwind/SessionToken?format=json' });
  const sessionToken = (site.json() as { session_token: string }).session_token;
  const exchange = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ grant_type: 'password', client_id: 'northwind-web', dr_session_token: sessionToken }) });
  assert.equal(exchange.statusCode, 400);
  assert.equal((exchange.json() as { error: string }).error, 'unauthorized_client');
  // The second site, with only the required fields and a public key, gets its defaults.
  const eu = await app.inject({ method: 'GET', url: '/store/northwind-eu/SessionToken?apiKey=northwind-eu-web&format=json' });
  assert.equal(eu.statusCode, 200);
  assert.equal((eu.json() as { token: { expires_in: string } }).token.expires_in, '86400');
});

test('npm start --seed examples/seed.json: the server loads it at start and answers a token for it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-seed-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ DATA_DIR: dataDir, SESSIONLINK_SEED: SEED_FILE });
  t.after(async () => { await stopServer(server); });
  const res = await fetch(`${server.url}/oauth20/token`, {
    method: 'POST', headers: { authorization: SERVER_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ grant_type: 'client_credentials' })
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json() as { token_type: string; access_token: string };
  assert.equal(body.token_type, 'bearer');
  // With a seed file there is no demo site.
  const demo = await fetch(`${server.url}/store/acme/SessionToken?format=json`);
  assert.equal(demo.status, 404);
});
