import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { BASIC, buildTestApp, tokenRequest } from '../support/helpers.js';
import type { FastifyInstance } from 'fastify';

// The token cache (src/domain/token-cache.ts) must not depend on how a write is spelled: any
// statement that writes, whatever its text, makes the cached entries stale. These write the way a
// future maintainer might (a leading comment, a CTE), straight on the app's database handle.

async function cachedToken(app: FastifyInstance): Promise<string> {
  const res = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json().access_token as string;
  // Validated twice: the second answer comes from the cache.
  for (let i = 0; i < 2; i++) assert.equal((await me(app, token)).statusCode, 200);
  return token;
}

async function me(app: FastifyInstance, token: string) {
  return await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
}

test('an UPDATE of access_tokens behind a leading comment still ends a cached token', async (t) => {
  const { app } = await buildTestApp(t);
  const token = await cachedToken(app);
  await sql`/* written by hand */ update access_tokens set revoked_reason = 'revoked'`.execute(app.ctx.db);
  const after = await me(app, token);
  assert.equal(after.statusCode, 401);
  assert.match(after.body, /Token revoked/);
});

test('an UPDATE of sessions inside a CTE still ends a cached token', async (t) => {
  const { app, clock } = await buildTestApp(t);
  const token = await cachedToken(app);
  await sql`with ended as (select id from sessions) update sessions set expires_at = ${clock.now() - 1} where id in (select id from ended)`.execute(app.ctx.db);
  const after = await me(app, token);
  assert.equal(after.statusCode, 401);
  assert.match(after.body, /Session expired/);
});
