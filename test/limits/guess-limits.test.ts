import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { APP_KEY, APP_SECRET, BACKENDS, BASIC, browserSessionToken, buildTestApp, form, OTHER_SITE, tokenInfo } from '../support/helpers.js';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function basic(key: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
}

function seedWith(limits: Record<string, number>): Seed {
  return { sites: [{ ...DEMO_SEED.sites[0]!, limits }, OTHER_SITE] };
}

/** POST `url` with client credentials in `authorization` from `ip`. */
async function post(app: App, url: string, values: Record<string, string>, authorization: string | undefined, ip = '127.0.0.1', headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const all: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  if (authorization !== undefined) all.authorization = authorization;
  return await app.inject({ method: 'POST', url, remoteAddress: ip, headers: all, payload: form(values) });
}

function assertLocked(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 429, `${what}: ${res.statusCode} ${res.body}`);
  assert.deepEqual(res.json(), { error: 'rate-limit-exceeded', error_description: 'Too many requests; retry later' }, what);
  assert.ok(Number(res.headers['retry-after']) >= 1, `${what}: Retry-After`);
}

/** A live access token of acme-app (before any guessing starts). */
async function liveToken(app: App): Promise<string> {
  const res = await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, BASIC, '192.0.2.250');
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

// Finding 3: every place that checks a client secret shares one set of counters.

// Every test here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) describe(`on ${backend}`, () => {
test('wrong secrets on introspect, revoke and the token endpoint share one per-key lockout; while locked even the right secret gets 429 at an address that failed and revokes nothing', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const token = await liveToken(app);
  const urls = ['/oauth20/introspect', '/oauth20/revoke', '/oauth20/token'];
  // 20 wrong secrets (the per-key limit), spread over the three endpoints and over 20 addresses,
  // so only the key's counter can add up to the limit.
  for (let i = 0; i < 20; i++) {
    const url = urls[i % 3] as string;
    const res = await post(app, url, url === '/oauth20/token' ? { grant_type: 'client_credentials' } : { token }, basic(APP_KEY, `guess-${i}`), `198.51.100.${i + 1}`);
    assert.equal(res.statusCode, 401, `${url} #${i}: ${res.body}`);
    assert.equal(res.json().error, 'invalid_client');
  }
  for (const [i, url] of urls.entries()) {
    // Each from an address that guessed on another endpoint: the lockout is the key's, not the endpoint's.
    const res = await post(app, url, url === '/oauth20/token' ? { grant_type: 'client_credentials' } : { token }, BASIC, `198.51.100.${i + 2}`);
    assertLocked(res, `${url} with the right secret during the lockout`);
  }
  assert.equal((await tokenInfo(app, token)).statusCode, 200, 'a refused revocation revoked nothing');
  // The key's own server never failed on it: it is served.
  assert.equal((await post(app, '/oauth20/introspect', { token }, BASIC, '203.0.113.77')).statusCode, 200);
});

test('introspection alone meets the per-key limit and, for unknown keys, the per-address limit', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const token = await liveToken(app);
  for (let i = 0; i < 20; i++) {
    assert.equal((await post(app, '/oauth20/introspect', { token }, basic(APP_KEY, `guess-${i}`), `198.51.100.${i + 1}`)).statusCode, 401);
  }
  assertLocked(await post(app, '/oauth20/introspect', { token }, BASIC, '198.51.100.20'), 'introspect after 20 wrong secrets, from an address that failed');
  // One address trying key names: 50 failures (the per-address limit), then 429 for any key.
  for (let i = 0; i < 50; i++) {
    const res = await post(app, '/oauth20/revoke', { token }, basic(`guessed-key-${i}`, 'x'), '192.0.2.9');
    assert.equal(res.statusCode, 401, res.body);
  }
  assertLocked(await post(app, '/oauth20/revoke', { token }, basic('other-app', 'other-secret-456'), '192.0.2.9'), 'revoke from an address that failed 50 times');
  assert.equal((await post(app, '/oauth20/revoke', { token: 'x' }, basic('other-app', 'other-secret-456'), '192.0.2.10')).statusCode, 200, 'another address is not affected');
});

test('the 401 for an unknown key, a wrong secret and a confidential key without its secret is the same, on every endpoint', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const token = await liveToken(app);
  for (const url of ['/oauth20/token', '/oauth20/introspect', '/oauth20/revoke']) {
    const values: Record<string, string> = url === '/oauth20/token' ? { grant_type: 'client_credentials' } : { token };
    const answers = [
      await post(app, url, values, basic('no-such-key', 'whatever')),
      await post(app, url, values, basic(APP_KEY, 'whatever')),
      await post(app, url, values, basic(APP_KEY, '')),
      await post(app, url, { ...values, client_id: 'no-such-key' }, undefined),
      await post(app, url, { ...values, client_id: APP_KEY }, undefined),
      await post(app, url, { ...values, client_id: APP_KEY, client_secret: 'whatever' }, undefined)
    ];
    const first = answers[0]!;
    assert.equal(first.statusCode, 401);
    for (const res of answers) {
      assert.equal(res.statusCode, 401, `${url}: ${res.body}`);
      assert.equal(res.body, first.body, `${url}: one text for every bad credential`);
      assert.equal(res.headers['www-authenticate'], first.headers['www-authenticate']);
    }
  }
});

// Finding 4: the counter key is the decoded name.

test('a percent-encoded key name in Basic auth is counted under the real key and meets its lockout', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const encoded = 'acme%2Dapp';
  const right = basic(encoded, APP_SECRET);
  assert.equal((await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, right)).statusCode, 200, 'the encoded name is the key (RFC 6749 §2.3.1)');
  for (let i = 0; i < 20; i++) {
    const res = await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(encoded, `guess-${i}`), `198.51.100.${i + 1}`);
    assert.equal(res.statusCode, 401, res.body);
  }
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, BASIC, '198.51.100.1'), 'the plain name after 20 encoded guesses');
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, right, '198.51.100.2'), 'the encoded name during the lockout');
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic('acme-%61pp', APP_SECRET), '198.51.100.3'), 'any other encoding of the name');
});

test('a lockout earned with the plain name holds for every encoding of it', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  for (let i = 0; i < 20; i++) {
    assert.equal((await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(APP_KEY, `guess-${i}`), `198.51.100.${i + 1}`)).statusCode, 401);
  }
  for (const name of ['acme%2Dapp', 'acme%2dapp', '%61cme-app', 'acme-app']) {
    assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(name, APP_SECRET), '198.51.100.7'), name);
  }
});

test('with REDIS_URL two processes share the per-key counter across endpoints and encodings (real Redis)', async (t) => {
  // A key name of its own per run: Redis keeps counters for the whole window.
  const run = randomBytes(6).toString('hex');
  const key = `app-${run}`;
  const secret = `secret-${run}`;
  const seed: Seed = { sites: [{ id: `s${run}`, name: 'Redis Store', apiKeys: [{ key, type: 'confidential', secret }] }] };
  const serverSecret = 'redis-guess-' + 'y'.repeat(40);
  const a = await buildTestApp(t, { backend, seed, config: { redisURL: REDIS_URL, secret: serverSecret } });
  const b = await buildTestApp(t, { backend, seed, config: { redisURL: REDIS_URL, secret: serverSecret } });
  const encoded = key.replace('-', '%2D');
  const base = randomBytes(1)[0]!;
  for (let i = 0; i < 20; i++) {
    const app = i % 2 === 0 ? a.app : b.app;
    const url = i % 4 < 2 ? '/oauth20/introspect' : '/oauth20/revoke';
    const res = await post(app, url, { token: 'x' }, basic(i % 3 === 0 ? encoded : key, `guess-${i}`), `10.${base}.${i}.1`);
    assert.equal(res.statusCode, 401, res.body);
  }
  // From addresses that failed on the other process: both the key's and the pair's counters are shared.
  assertLocked(await post(a.app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(key, secret), `10.${base}.1.1`), 'process A, token endpoint');
  assertLocked(await post(b.app, '/oauth20/introspect', { token: 'x' }, basic(encoded, secret), `10.${base}.0.1`), 'process B, introspect, encoded name');
  assert.equal((await post(b.app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(key, secret), `10.${base}.200.1`)).statusCode, 200, 'the key\'s server, which never failed');
});

// Finding 5: per-IP limits can be neither forged (TRUST_PROXY) nor multiplied (IPv6 /64) nor flushed.

async function guestVia(app: App, socket: string, forwardedFor?: string): Promise<LightMyRequestResponse> {
  return await post(app, '/oauth20/token', { grant_type: 'password', client_id: 'acme-public' }, undefined, socket,
    forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor });
}

test('TRUST_PROXY=1 (and true): rotating the leftmost X-Forwarded-For gets no fresh guest budget and no fresh failure counter', async (t) => {
  const { loadConfig } = await import('../../src/config.js');
  for (const value of ['1', 'true']) {
    const trustProxy = loadConfig({ TRUST_PROXY: value, SESSIONLINK_SECRET: 'z'.repeat(64) }).trustProxy;
    const { app } = await buildTestApp(t, { backend, config: { trustProxy }, seed: seedWith({ newSessionsPerIP: 3, clientAuthFailuresPerIP: 3 }) });
    for (let i = 0; i < 3; i++) {
      assert.equal((await guestVia(app, '10.0.0.1', `198.51.100.${i}, 203.0.113.50`)).statusCode, 200);
    }
    const forged = await guestVia(app, '10.0.0.1', '198.51.100.99, 203.0.113.50');
    assert.equal(forged.statusCode, 429, `${value}: a forged leftmost address is not a new client`);
    assert.equal((await guestVia(app, '10.0.0.1', '203.0.113.51')).statusCode, 200, `${value}: another client behind the proxy has its own budget`);
    for (let i = 0; i < 3; i++) {
      const res = await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(APP_KEY, `guess-${i}`), '10.0.0.1', { 'x-forwarded-for': `192.0.2.${i}, 203.0.113.60` });
      assert.equal(res.statusCode, 401);
    }
    assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, BASIC, '10.0.0.1', { 'x-forwarded-for': '192.0.2.99, 203.0.113.60' }), `${value}: failure counter behind the proxy`);
  }
});

test('TRUST_PROXY as a hop count and as a list of proxy addresses/CIDRs: X-Forwarded-For is followed only through trusted hops', async (t) => {
  const { loadConfig } = await import('../../src/config.js');
  const env = (value: string): NodeJS.ProcessEnv => ({ TRUST_PROXY: value, SESSIONLINK_SECRET: 'z'.repeat(64) });
  // Two proxies: the client is the second address from the right.
  const twoHops = await buildTestApp(t, { backend, config: { trustProxy: loadConfig(env('2')).trustProxy }, seed: seedWith({ newSessionsPerIP: 1 }) });
  assert.equal((await guestVia(twoHops.app, '10.0.0.1', '198.51.100.1, 203.0.113.50, 10.0.0.2')).statusCode, 200);
  assert.equal((await guestVia(twoHops.app, '10.0.0.1', '198.51.100.2, 203.0.113.50, 10.0.0.2')).statusCode, 429);
  assert.equal((await guestVia(twoHops.app, '10.0.0.1', '203.0.113.51, 10.0.0.2')).statusCode, 200, 'another client behind the same proxies');
  // A list: only the listed proxies are believed; a client connecting directly is its socket.
  const listed = await buildTestApp(t, { backend, config: { trustProxy: loadConfig(env('10.0.0.0/8, 2001:db8:ffff::1')).trustProxy }, seed: seedWith({ newSessionsPerIP: 1 }) });
  assert.equal((await guestVia(listed.app, '10.0.0.1', '198.51.100.1, 203.0.113.50, 10.0.0.2')).statusCode, 200);
  assert.equal((await guestVia(listed.app, '10.0.0.1', '198.51.100.2, 203.0.113.50, 10.9.9.9')).statusCode, 429, 'same client through other listed proxies');
  assert.equal((await guestVia(listed.app, '10.0.0.1', '203.0.113.52')).statusCode, 200, 'another client behind a listed proxy');
  assert.equal((await guestVia(listed.app, '198.51.100.7', '203.0.113.90')).statusCode, 200);
  assert.equal((await guestVia(listed.app, '198.51.100.7', '203.0.113.91')).statusCode, 429, 'an unlisted peer cannot name its own address');
  assert.equal((await guestVia(listed.app, '2001:db8:ffff::1', '203.0.113.92')).statusCode, 200, 'an IPv6 proxy address');
  // Off by default and for false/0.
  for (const value of [undefined, '', 'false', '0']) {
    assert.equal(loadConfig({ SESSIONLINK_SECRET: 'z'.repeat(64), ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy, false);
  }
  for (const bad of ['everything', '10.0.0.0/33', '10.0.0.1, nonsense', '999']) {
    assert.throws(() => loadConfig(env(bad)), /TRUST_PROXY/, bad);
  }
});

test('IPv6 clients are counted per /64 (guest budget, client-auth and login failure counters); IPv4-mapped addresses as their IPv4', async (t) => {
  const { app } = await buildTestApp(t, { backend, seed: seedWith({ newSessionsPerIP: 2, clientAuthFailuresPerIP: 2, loginFailuresPerIP: 2 }) });
  assert.equal((await guestVia(app, '2001:db8:1:2::1')).statusCode, 200);
  assert.equal((await guestVia(app, '2001:db8:1:2:ffff:ffff:ffff:fffe')).statusCode, 200);
  assert.equal((await guestVia(app, '2001:0db8:0001:0002:0:0:0:3')).statusCode, 429, 'the same /64 in any spelling');
  assert.equal((await guestVia(app, '2001:db8:1:3::1')).statusCode, 200, 'the next /64 is another client');
  assert.equal((await guestVia(app, '::ffff:203.0.113.5')).statusCode, 200);
  assert.equal((await guestVia(app, '203.0.113.5')).statusCode, 200);
  assert.equal((await guestVia(app, '::ffff:cb00:7105')).statusCode, 429, 'an IPv4-mapped address is its IPv4');

  for (const ip of ['2001:db8:9:9::1', '2001:db8:9:9::2']) {
    assert.equal((await post(app, '/oauth20/introspect', { token: 'x' }, basic(APP_KEY, 'nope'), ip)).statusCode, 401);
  }
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, BASIC, '2001:db8:9:9::3'), 'client auth from the same /64');
  assert.equal((await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, BASIC, '2001:db8:9:a::3')).statusCode, 200);

  for (const [i, ip] of ['2001:db8:7:7::1', '2001:db8:7:7::2'].entries()) {
    assert.equal((await post(app, '/oauth20/token', { grant_type: 'password', username: `nobody-${i}`, password: 'x' }, BASIC, ip)).statusCode, 400);
  }
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, BASIC, '2001:db8:7:7::3'), 'login from the same /64');
});

test('with REDIS_URL two processes behind one proxy share the per-address counter of a client\'s /64 (real Redis)', async (t) => {
  const { loadConfig } = await import('../../src/config.js');
  const trustProxy = loadConfig({ TRUST_PROXY: '1', SESSIONLINK_SECRET: 'z'.repeat(64) }).trustProxy;
  // A key and a /64 of their own per run: Redis keeps counters for the whole window.
  const run = randomBytes(8).toString('hex');
  const key = `app-${run}`;
  const secret = `secret-${run}`;
  const seed: Seed = { sites: [{ id: `s${run}`, name: 'Redis Store', limits: { clientAuthFailuresPerIP: 4 }, apiKeys: [{ key, type: 'confidential', secret }] }] };
  const serverSecret = 'redis-guess-' + 'y'.repeat(40);
  const a = await buildTestApp(t, { backend, seed, config: { redisURL: REDIS_URL, secret: serverSecret, trustProxy } });
  const b = await buildTestApp(t, { backend, seed, config: { redisURL: REDIS_URL, secret: serverSecret, trustProxy } });
  const net = `2001:db8:${run.slice(0, 4)}:${run.slice(4, 8)}`;
  for (let i = 0; i < 4; i++) {
    const res = await post(i % 2 === 0 ? a.app : b.app, '/oauth20/introspect', { token: 'x' }, basic(key, `guess-${i}`), '10.0.0.1',
      { 'x-forwarded-for': `198.51.100.${i}, ${net}::${i + 1}` });
    assert.equal(res.statusCode, 401, res.body);
  }
  for (const [name, app] of [['A', a.app], ['B', b.app]] as const) {
    assertLocked(await post(app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(key, secret), '10.0.0.1', { 'x-forwarded-for': `192.0.2.1, ${net}:ffff::99` }), `process ${name}, same /64`);
  }
  const elsewhere = `2001:db8:${run.slice(8, 12)}:${run.slice(12, 16)}::1`;
  assert.equal((await post(a.app, '/oauth20/token', { grant_type: 'client_credentials' }, basic(key, secret), '10.0.0.1', { 'x-forwarded-for': elsewhere })).statusCode, 200, 'another /64');
});

// Smaller: only a wrong password counts as a failed login.

test('eight parallel correct logins on one session lock nobody out: a lost race is not a failed password', async (t) => {
  const { app } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  const answers = await Promise.all(Array.from({ length: 8 }, async () =>
    await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: browser.sessionToken }, BASIC, '203.0.113.20')));
  // One login re-keys the session; the others prove the same shopper, so they join the session it
  // made instead of failing: none of them is a failed password, and none meets a lockout.
  assert.deepEqual(answers.map((r) => r.statusCode), Array(8).fill(200), answers.map((r) => r.body).join('\n'));
  const next = await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, BASIC, '203.0.113.20');
  assert.equal(next.statusCode, 200, `the shopper can still log in: ${next.body}`);
});

test('the right password with an expired dr_session_token is not a failed password', async (t) => {
  const { app, clock } = await buildTestApp(t, { backend });
  const browser = await browserSessionToken(app);
  clock.advance(86_401);
  for (let i = 0; i < 6; i++) {
    const res = await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_session_token: browser.sessionToken }, BASIC, '203.0.113.21');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'invalid_grant');
  }
  assert.equal((await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, BASIC, '203.0.113.21')).statusCode, 200);
  // A wrong password still counts: five of them lock the username.
  for (let i = 0; i < 5; i++) {
    assert.equal((await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: `guess-${i}` }, BASIC, '203.0.113.21')).statusCode, 400);
  }
  assertLocked(await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, BASIC, '203.0.113.21'), 'after five wrong passwords');
});
});
