import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { BASIC, buildTestApp, tokenRequest } from '../support/helpers.js';
import type { FastifyInstance } from 'fastify';
import type { TestContext } from 'node:test';

// The token cache (src/store/cached.ts) must not depend on how a write is spelled: any write that
// reaches the database other than through a Store method declared harmless makes the cached
// entries stale. These write the way a future maintainer might (a leading comment, a CTE), by hand
// on another connection to the server's file — as the admin CLI or another server process would.

async function fileApp(t: TestContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-exact-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const opened = await buildTestApp(t, { config: { dataDir } });
  const other = new SQLite(join(dataDir, 'sessionlink.db'));
  other.pragma('busy_timeout = 5000');
  t.after(() => other.close());
  return { ...opened, other };
}

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
  const { app, other } = await fileApp(t);
  const token = await cachedToken(app);
  other.prepare(`/* written by hand */ update access_tokens set revoked_reason = 'revoked'`).run();
  const after = await me(app, token);
  assert.equal(after.statusCode, 401);
  assert.match(after.body, /Token revoked/);
});

test('an UPDATE of sessions inside a CTE still ends a cached token', async (t) => {
  const { app, clock, other } = await fileApp(t);
  const token = await cachedToken(app);
  other.prepare('with ended as (select id from sessions) update sessions set expires_at = ? where id in (select id from ended)').run(clock.now() - 1);
  const after = await me(app, token);
  assert.equal(after.statusCode, 401);
  assert.match(after.body, /Session expired/);
});
