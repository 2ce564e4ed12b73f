import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { BASIC, buildTestApp, OTHER_SITE, BACKENDS } from '../support/helpers.js';
import { countStored, sessionsLastUsed } from '../support/reader.js';

function seedWith(limits: Record<string, number>): Seed {
  return { sites: [{ ...DEMO_SEED.sites[0]!, limits }, OTHER_SITE] };
}

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];

/** A new anonymous session as a browser app makes it: the password grant with a public key. */
async function guest(app: App, ip: string): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&client_id=acme-public'
  });
}

/** A guest checkout session made by a confidential app on its own server. */
async function serverGuest(app: App, ip: string): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: ip,
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials'
  });
}

function assertLimited(res: LightMyRequestResponse, limit: number): void {
  assert.equal(res.statusCode, 429, res.body);
  assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After');
  assert.equal(res.headers['x-ratelimit-limit'], String(limit));
  assert.equal(res.headers['x-ratelimit-remaining'], '0');
  assert.ok(Number(res.headers['x-ratelimit-reset']) >= 1, 'X-RateLimit-Reset');
}

async function sessionCount(db: Awaited<ReturnType<typeof buildTestApp>>['db']): Promise<number> {
  return await countStored(db, 'sessions');
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('guest sessions per client IP: 429 with Retry-After and X-RateLimit-* once the budget is spent; other IPs and existing sessions go on; the window slides', async (t) => {
  const { app, db, clock } = await buildTestApp(t, { backend, seed: seedWith({ newSessionsPerIP: 3 }) });
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await guest(app, '203.0.113.1');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-ratelimit-limit'], '3');
    remaining.push(String(res.headers['x-ratelimit-remaining']));
  }
  assert.deepEqual(remaining, ['2', '1', '0']);
  const before = await sessionCount(db);
  const blocked = await guest(app, '203.0.113.1');
  assertLimited(blocked, 3);
  assert.deepEqual(blocked.json(), { error: 'rate-limit-exceeded', error_description: 'Too many requests; retry later' });
  assert.equal(await sessionCount(db), before, 'a refused guest creates nothing');
  assert.equal((await guest(app, '203.0.113.2')).statusCode, 200, 'another address has its own budget');
  // Joining an existing session is not a new session: not counted, not refused.
  const st = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', remoteAddress: '203.0.113.3' });
  const sessionToken = (st.json() as { session_token: string }).session_token;
  const join = await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: '203.0.113.1',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=password&dr_session_token=${sessionToken}`
  });
  assert.equal(join.statusCode, 200);
  // Retry-After is when the sliding window lets one more in: not a second earlier.
  const retry = Number(blocked.headers['retry-after']);
  clock.advance(retry - 1);
  assert.equal((await guest(app, '203.0.113.1')).statusCode, 429);
  clock.advance(1);
  assert.equal((await guest(app, '203.0.113.1')).statusCode, 200, 'after Retry-After the budget has room');
  assert.equal((await guest(app, '203.0.113.1')).statusCode, 429, 'the sliding window still remembers the burst');
});

test('every anonymous entry point shares the budget and answers 429 in its own format', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: seedWith({ newSessionsPerIP: 1 }) });
  const ip = '198.51.100.20';
  assert.equal((await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', remoteAddress: ip })).statusCode, 200);
  const action = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json', remoteAddress: ip });
  assertLimited(action, 1);
  assert.equal(action.json().error, 'rate-limit-exceeded');
  const xml = await app.inject({ method: 'GET', url: '/store/acme/SessionToken', remoteAddress: ip });
  assert.equal(xml.statusCode, 429);
  assert.match(xml.body, /<error>rate-limit-exceeded<\/error>/);
  const jsonp = await app.inject({ method: 'GET', url: '/store/acme/SessionToken?callback=cb', remoteAddress: ip });
  assert.equal(jsonp.statusCode, 429);
  assert.match(jsonp.body, /^\/\*\*\/cb\(\{"error":"rate-limit-exceeded"/);
  const anonymousPassword = await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&client_id=acme-public'
  });
  assertLimited(anonymousPassword, 1);
  assert.equal(anonymousPassword.json().error, 'rate-limit-exceeded');
  assertLimited(await guest(app, ip), 1);
  const v1 = await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=acme-public&format=json', remoteAddress: ip });
  assertLimited(v1, 1);
  assert.equal(v1.json().error, 'rate-limit-exceeded');
  // The other site's budget is its own (defaults).
  assert.equal((await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=other-public', remoteAddress: ip })).statusCode, 200);
});

test('guest sessions per site: many addresses together meet the site budget', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: seedWith({ newSessionsPerSite: 4 }) });
  for (let i = 0; i < 4; i++) assert.equal((await guest(app, `192.0.2.${i}`)).statusCode, 200);
  assertLimited(await guest(app, '192.0.2.99'), 4);
});

test('live anonymous sessions per site are capped; sessions that end free the room at the next refresh', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend, seed: seedWith({ liveAnonymousSessions: 3 }) });
  for (let i = 0; i < 3; i++) assert.equal((await guest(app, `192.0.2.${i}`)).statusCode, 200);
  assertLimited(await guest(app, '192.0.2.50'), 3);
  clock.advance(10);
  assertLimited(await guest(app, '192.0.2.51'), 3);
  // The demo site's sessions live 86400 s; after that the periodic count finds none live.
  clock.advance(86400);
  assert.equal((await guest(app, '192.0.2.52')).statusCode, 200);
});

test('Shopper API quota per API key: X-RateLimit-* on each answer, then 429 rate-limit-exceeded in the Shopper API shape', async (t) => {
  const { app, db, clock } = await buildTestApp(t, { backend, seed: seedWith({ apiRequestsPerKey: 5 }) });
  const issued = await serverGuest(app, '203.0.113.9');
  const token = (issued.json() as { access_token: string }).access_token;
  const me = async () => await app.inject({ method: 'GET', url: '/v1/shoppers/me?format=json', headers: { authorization: `Bearer ${token}` } });
  const remaining: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await me();
    assert.equal(res.statusCode, 200);
    remaining.push(String(res.headers['x-ratelimit-remaining']));
  }
  assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
  const before = await sessionsLastUsed(db);
  const blocked = await me();
  assertLimited(blocked, 5);
  assert.equal(blocked.json().errors.error[0].code, 'rate-limit-exceeded');
  assert.deepEqual(await sessionsLastUsed(db), before, 'a refused call does not even touch the session');
  // The quota is per key: the guest token belongs to acme-app; the catalogue by acme-public goes on.
  const catalogue = await app.inject({ method: 'GET', url: '/v1/shoppers/me/products?apiKey=acme-public&format=json' });
  assert.equal(catalogue.statusCode, 200);
  assert.equal(catalogue.headers['x-ratelimit-remaining'], '4');
  // Another site's key has its own quota.
  const other = await app.inject({ method: 'GET', url: '/v1/shoppers/token?apiKey=other-public&format=json' });
  const otherToken = (other.json() as { token: { access_token: string } }).token.access_token;
  assert.equal((await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${otherToken}` } })).statusCode, 200);
  clock.advance(120);
  assert.equal((await me()).statusCode, 200);
});

test('with REDIS_URL two processes share the key quota, about a second late (real Redis)', async (t) => {
  const redisURL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const secret = 'shared-' + randomBytes(8).toString('hex');
  // Unique site and key names: the Redis keys of earlier runs must not count.
  const id = 'q' + randomBytes(6).toString('hex');
  const seed: Seed = { sites: [{ id, name: 'Quota', apiKeys: [{ key: `${id}-public`, type: 'public' }], limits: { apiRequestsPerKey: 10 } }] };
  const a = await buildTestApp(t, { backend, config: { redisURL, secret }, seed });
  const b = await buildTestApp(t, { backend, config: { redisURL, secret }, seed });
  // Each test app has its own in-memory database, so each gets its own token on the same key.
  const tokens = new Map<App, string>();
  for (const app of [a.app, b.app]) {
    const issued = await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=${id}-public&format=json` });
    tokens.set(app, (issued.json() as { token: { access_token: string } }).token.access_token);
  }
  const me = async (app: App) => (await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${tokens.get(app)}` } })).statusCode;
  for (let i = 0; i < 6; i++) assert.equal(await me(a.app), 200);
  assert.equal(await me(b.app), 200);
  // Two background syncs: each process adds its hits, then reads the other's.
  await new Promise((r) => setTimeout(r, 2500));
  for (let i = 0; i < 3; i++) assert.equal(await me(b.app), 200);
  assert.equal(await me(b.app), 429, 'b counts a\'s six requests too');
});

test('with REDIS_URL two processes share the guest budget of an address (real Redis)', async (t) => {
  const redisURL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const secret = 'shared-' + randomBytes(8).toString('hex');
  const id = 'g' + randomBytes(6).toString('hex');
  const seed: Seed = { sites: [{ id, name: 'Guests', apiKeys: [{ key: `${id}-public`, type: 'public' }], limits: { newSessionsPerIP: 4 } }] };
  const a = await buildTestApp(t, { backend, config: { redisURL, secret }, seed });
  const b = await buildTestApp(t, { backend, config: { redisURL, secret }, seed });
  const newSession = async (app: App) => (await app.inject({ method: 'GET', url: `/v1/shoppers/token?apiKey=${id}-public`, remoteAddress: '203.0.113.77' })).statusCode;
  for (let i = 0; i < 3; i++) assert.equal(await newSession(a.app), 200);
  assert.equal(await newSession(b.app), 200);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await newSession(a.app), 429, 'a counts b\'s session too');
  assert.equal(await newSession(b.app), 429, 'b counts a\'s three');
});

test('the server of a confidential app is one address for all its shoppers: it meets the site budget, not the per-IP one', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: seedWith({ newSessionsPerIP: 2, newSessionsPerSite: 5 }) });
  for (let i = 0; i < 5; i++) assert.equal((await serverGuest(app, '10.0.0.7')).statusCode, 200, `guest ${i}`);
  assertLimited(await serverGuest(app, '10.0.0.7'), 5);
  // The site budget is shared: a browser now meets it too.
  assertLimited(await guest(app, '10.0.0.8'), 5);
});
});
