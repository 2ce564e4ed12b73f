import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BASIC, buildTestApp, form, BACKENDS } from '../support/helpers.js';

async function login(app: Awaited<ReturnType<typeof buildTestApp>>['app'], password: string, ip = '203.0.113.7', username = 'jane') {
  return await app.inject({
    method: 'POST', url: '/oauth20/token', remoteAddress: ip,
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ grant_type: 'password', username, password })
  });
}

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('password guessing meets 429 with Retry-After after 5 failures per username; the window slides', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  for (let i = 0; i < 5; i++) {
    assert.equal((await login(app, `guess-${i}`)).statusCode, 400);
  }
  const blocked = await login(app, 'Correct-Horse-9');
  assert.equal(blocked.statusCode, 429, 'even the right password waits once the username is locked');
  assert.equal(blocked.json().error, 'rate-limit-exceeded');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  const fromElsewhere = await login(app, 'Correct-Horse-9', '198.51.100.9');
  assert.equal(fromElsewhere.statusCode, 429, 'the username counter is not per IP');
  clock.advance(901);
  assert.equal((await login(app, 'Correct-Horse-9')).statusCode, 200);
});

test('client-secret guessing meets 429 per key at every address that failed on it, even with the right secret; the key\'s own server, which never failed, is served', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const wrong = 'Basic ' + Buffer.from('acme-app:nope').toString('base64');
  const attempt = async (authorization: string, remoteAddress: string): Promise<number> => (await app.inject({ method: 'POST', url: '/oauth20/token', remoteAddress, headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' })).statusCode;
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push(await attempt(wrong, `192.0.2.${i}`));
  assert.deepEqual(new Set(statuses), new Set([401]));
  // The key is at its limit: every address that failed on it waits, with a wrong or the right secret.
  assert.equal(await attempt(wrong, '192.0.2.0'), 429);
  assert.equal(await attempt(BASIC, '192.0.2.19'), 429, 'the right secret from a guessing address waits too');
  // A fresh address has one try: wrong, it is counted and waits from then on.
  assert.equal(await attempt(wrong, '192.0.2.20'), 401);
  assert.equal(await attempt(wrong, '192.0.2.20'), 429);
  assert.equal(await attempt(BASIC, '127.0.0.1'), 200, 'the store\'s server, which never failed, is served');
});

test('with REDIS_URL the counters are shared by two processes (real Redis)', async (t) => {
  const redisURL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const secret = 'shared-' + randomBytes(8).toString('hex');
  const a = await buildTestApp(t, { backend, config: { redisURL, secret } });
  const b = await buildTestApp(t, { backend, config: { redisURL, secret } });
  const username = 'jane';
  const ip = `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  // A unique username key per run: use the site limits on a fresh user name.
  for (let i = 0; i < 5; i++) {
    const app = i % 2 === 0 ? a.app : b.app;
    assert.equal((await login(app, `bad-${i}`, ip, `${username}-${secret}`)).statusCode, 400);
  }
  assert.equal((await login(b.app, 'x', ip, `${username}-${secret}`)).statusCode, 429);
  assert.equal((await login(a.app, 'x', ip, `${username}-${secret}`)).statusCode, 429);
});

test('/readyz reports the database and Redis; a Redis that does not answer makes it 503', async (t) => {
  const { app } = await buildTestApp(t, { backend, config: { redisURL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' } });
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { status: 'ready', database: 'ok', redis: 'ok' });
  const { app: broken } = await buildTestApp(t, { backend, config: { redisURL: 'redis://127.0.0.1:1' } });
  const down = await broken.inject({ method: 'GET', url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().redis, 'down');
  const { app: plain } = await buildTestApp(t, { backend });
  assert.equal((await plain.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await plain.inject({ method: 'GET', url: '/readyz' })).json().redis, 'not configured');
});
});
