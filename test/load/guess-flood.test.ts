// The guessing limits under a flood over HTTP (101,000 client addresses): slow, so it runs in the
// full `npm test` and not in `npm run test:fast`. The same counters' corner cases at their real
// sizes are in limiter-capacity.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { BASIC, buildTestApp, form } from '../support/helpers.js';

function assertLocked(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 429, `${what}: ${res.statusCode} ${res.body}`);
  assert.deepEqual(res.json(), { error: 'rate-limit-exceeded', error_description: 'Too many requests; retry later' }, what);
  assert.ok(Number(res.headers['retry-after']) >= 1, `${what}: Retry-After`);
}

test('a flood of failures from 101,000 addresses does not evict a live lockout', async (t) => {
  const { app } = await buildTestApp(t);
  const login = async (password: string): Promise<LightMyRequestResponse> =>
    await app.inject({
      method: 'POST', url: '/oauth20/token', remoteAddress: '203.0.113.7',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC }, payload: form({ grant_type: 'password', username: 'jane', password })
    });
  for (let i = 0; i < 5; i++) assert.equal((await login(`guess-${i}`)).statusCode, 400);
  assertLocked(await login('Correct-Horse-9'), 'locked before the flood');
  // Each request fails client authentication from a new address: one new counter each.
  const total = 101_000;
  const batch = 500;
  for (let start = 0; start < total; start += batch) {
    await Promise.all(Array.from({ length: batch }, async (_, j) => {
      const n = start + j;
      const res = await app.inject({
        method: 'POST', url: '/oauth20/token', remoteAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials&client_id=flood&client_secret=x'
      });
      if (res.statusCode !== 401) assert.fail(`flood request ${n}: ${res.statusCode} ${res.body}`);
    }));
  }
  assertLocked(await login('Correct-Horse-9'), 'the lockout outlives the flood');
});
