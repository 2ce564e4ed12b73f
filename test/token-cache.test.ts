import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BASIC, buildTestApp, tokenInfo, tokenRequest } from './support/helpers.js';
import { startServer, stopServer } from './process/server-process.js';
import { getApiKey, getSite } from '../src/domain/sites.js';
import { guestGrant, tokenForSession } from '../src/domain/grants.js';
import { validateAccessToken } from '../src/domain/tokens.js';
import { touchSession } from '../src/domain/sessions.js';
import type { TestApp } from './support/helpers.js';

// Validated tokens are kept in memory (src/store/cached.ts) only while nothing that could
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
    const browser = await app.inject({ method: 'GET', url: '/store/other/SessionToken?format=json', headers: { referer: 'https://shop.other.example/', cookie: `SLSESSION=${cookie}` } });
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

// The races below are arranged in-process, where their order can be forced (found in review).
async function twoTokensOnOneSession(t: import('node:test').TestContext): Promise<TestApp & { a: string; b: string; session: Awaited<ReturnType<typeof guestGrant>>['session']; site: NonNullable<Awaited<ReturnType<typeof getSite>>> }> {
  const app = await buildTestApp(t);
  const site = (await getSite(app.ctx, 'other'))!; // ttl 3600, idle 600
  const key = (await getApiKey(app.ctx, 'other-public'))!;
  const first = await guestGrant(app.ctx, site, key, null);
  const second = await tokenForSession(app.ctx, site, key, first.session);
  return { ...app, a: first.accessToken, b: second.accessToken, session: first.session, site };
}

async function answer(ctx: TestApp['ctx'], token: string): Promise<string> {
  try {
    await validateAccessToken(ctx, token);
    return 'live';
  } catch (err) {
    return (err as Error).message;
  }
}

for (const cachedFirst of [true, false]) {
  test(`a validation read before a touch but stored after it does not bring the old expiry back (session ${cachedFirst ? '' : 'not '}cached before)`, async (t) => {
    const { ctx, clock, store, a, b, session, site } = await twoTokensOnOneSession(t);
    if (cachedFirst) await validateAccessToken(ctx, a);
    clock.advance(2);
    let slow: Promise<unknown> | undefined;
    let touch: Promise<unknown> | undefined;
    await store.transaction(async (tx) => {
      // A transaction holds the connection: the validation's read queues behind it...
      await tx.sessions.addHandle({ hash: 'probe-' + Math.random(), session_id: 'x', kind: 'cookie', epoch: 0, created_at: 0 });
      slow = validateAccessToken(ctx, b);
      await new Promise((resolve) => setTimeout(resolve, 5));
      // ...and a touch runs on the free connection just after it, before the read is stored.
      setImmediate(() => { touch = touchSession(ctx, site, session); });
    });
    await slow;
    await touch;
    const row = (await store.sessions.get(session.id))!;
    assert.equal(row.last_used_at, ctx.now(), 'the touch was written');
    clock.advance(599); // past the expiry before the touch, well before the one after it
    assert.ok(row.expires_at > ctx.now());
    // b first: a's read would store the session afresh.
    assert.equal(await answer(ctx, b), 'live');
    assert.equal(await answer(ctx, a), 'live');
  });
}

test('a cache hit in the same group as a touch sees the touch', async (t) => {
  const { ctx, clock, a, session, site } = await twoTokensOnOneSession(t);
  await validateAccessToken(ctx, a);
  clock.advance(599.5);
  const touch = touchSession(ctx, site, session); // its UPDATE is in the open group now
  clock.advance(1); // past the old expiry; the touch moved it 600 s on
  assert.equal(await answer(ctx, a), 'live');
  await touch;
});
