import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BASIC, buildTestApp, tokenInfo, tokenRequest } from './helpers.js';
import { startServer, stopServer } from './process/server-process.js';

// Validated tokens are kept in memory (src/domain/token-cache.ts) only while nothing that could
// change them has been written; these check the cases the other suites do not reach.
const OTHER_BASIC = 'Basic ' + Buffer.from('other-app:other-secret-456').toString('base64');

test('a session kept alive by the browser keeps alive an app token validated before (idle expiry moves in the cache)', async (t) => {
  const { app, clock } = await buildTestApp(t);
  // OTHER_SITE: ttl 3600, idle 600.
  const site = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json' });
  const cookie = site.cookies.find((c) => c.name === 'SLSESSION')!.value;
  const exchanged = await tokenRequest(app, { grant_type: 'password', dr_session_token: site.json().session_token }, { authorization: OTHER_BASIC });
  assert.equal(exchanged.statusCode, 200, exchanged.body);
  const token = exchanged.json().access_token as string;
  assert.equal((await tokenInfo(app, token)).statusCode, 200);
  for (let i = 0; i < 3; i++) {
    clock.advance(500);
    // Only the browser uses the session; the token's cached session must follow.
    const browser = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json', headers: { cookie: `SLSESSION=${cookie}` } });
    assert.equal(browser.json().session_token, site.json().session_token);
  }
  clock.advance(500);
  const info = await tokenInfo(app, token);
  assert.equal(info.statusCode, 200, info.body);
  assert.equal(info.json().expiresIn, 600);
  clock.advance(601);
  assert.equal((await tokenInfo(app, token)).json().error_description, 'Session expired');
});

test('two server processes on one SQLite file: a token one has validated dies there the moment the other revokes it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-cache-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { DATA_DIR: dataDir, SESSIONLINK_SECRET: randomBytes(32).toString('hex') };
  const a = await startServer(env);
  t.after(async () => await stopServer(a));
  const b = await startServer(env);
  t.after(async () => await stopServer(b));
  const grant = await fetch(`${a.url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const { access_token: token } = await grant.json() as { access_token: string };
  const me = async (url: string) => await fetch(`${url}/v1/shoppers/me`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  for (let i = 0; i < 3; i++) assert.equal((await me(a.url)).status, 200);
  assert.equal((await me(b.url)).status, 200);
  const revoke = await fetch(`${b.url}/oauth20/access-tokens`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  assert.ok(revoke.status < 300, `revoke answered ${revoke.status}`);
  const after = await me(a.url);
  assert.equal(after.status, 401);
  assert.match(await after.text(), /Token revoked/);
});
