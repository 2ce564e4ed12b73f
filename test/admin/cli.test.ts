// The admin command line as an operator runs it: `node bin/sessionlink.js …` as its own process on
// a temp DATA_DIR (SQLite) or a fresh PostgreSQL database, its effect then checked over HTTP by an
// app built on that same database, as the server would build it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createPgDatabase, form, testConfig, type TestApp } from '../support/helpers.js';
import { countStored, everythingStored, storedPasswordOf, storedTokenHashes } from '../support/reader.js';
import { startedApp } from '../support/startup.js';

type DB = TestApp['db'];

const SECRET = 'cli-test-secret-' + 'y'.repeat(24);
const TABLES = ['sites', 'api_keys', 'shoppers', 'products', 'sessions', 'handles', 'access_tokens', 'refresh_tokens',
  'carts', 'line_items', 'orders', 'handoff_codes'] as const;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Store {
  env: Record<string, string>;
  dataDir: string;
}

/** Runs the real CLI process with the store's environment. */
async function cli(store: Store, args: string[], stdin?: string): Promise<CliResult> {
  return await new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/sessionlink.js', ...args], {
      env: { PATH: process.env.PATH ?? '', ...store.env }, timeout: 120_000
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** Runs several CLI lines, at most two at a time (the machine may be small and busy). */
async function cliAll(store: Store, lines: string[][]): Promise<CliResult[]> {
  const results: CliResult[] = new Array(lines.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < lines.length) {
      const i = next++;
      results[i] = await cli(store, lines[i]!);
    }
  }
  await Promise.all([worker(), worker()]);
  return results;
}

async function ok(store: Store, args: string[], stdin?: string): Promise<CliResult> {
  const result = await cli(store, args, stdin);
  assert.equal(result.code, 0, `sessionlink ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

function sqliteStore(t: TestContext): Store {
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  return { dataDir, env: { DATA_DIR: dataDir, SESSIONLINK_SECRET: SECRET } };
}

async function pgStore(t: TestContext): Promise<Store> {
  const { url, drop } = await createPgDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-cli-pg-'));
  t.after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await drop();
  });
  return { dataDir, env: { DATA_DIR: dataDir, DATABASE_URL: url, SESSIONLINK_SECRET: SECRET } };
}

/** The server's app on the store's database (a new app: no cached sites or keys). */
async function appOn(t: TestContext, store: Store): Promise<{ app: FastifyInstance; db: DB }> {
  const config = testConfig({ dataDir: store.dataDir, databaseURL: store.env.DATABASE_URL ?? null, secret: SECRET });
  const { app, db } = await startedApp(config, null, t);
  return { app, db };
}

async function counts(db: DB): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    out[table] = await countStored(db, table);
  }
  return out;
}

/** Every value stored in every table, as one string. */
async function everything(db: DB): Promise<string> {
  return await everythingStored(db, TABLES);
}

const basic = (key: string, secret: string): string => 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');

async function token(app: FastifyInstance, authorization: string, values: Record<string, string>) {
  return await app.inject({
    method: 'POST', url: '/oauth20/token',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, payload: form(values)
  });
}

async function me(app: FastifyInstance, accessToken: string) {
  return await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
}

function deathReason(res: { statusCode: number; json: () => unknown }): string {
  assert.equal(res.statusCode, 401);
  return (res.json() as { errors: { error: Array<{ description: string }> } }).errors.error[0]!.description;
}

/** Creates a site with a confidential key, a shopper and a product through the CLI. */
async function provision(store: Store): Promise<{ secret: string; password: string }> {
  await ok(store, ['sites', 'create', 'shop', '--name', 'CLI Shop', '--currency', 'EUR', '--locale', 'de_DE', '--ttl', '3600']);
  const key = JSON.parse((await ok(store, ['keys', 'create', 'shop', 'shop-app', '--type', 'confidential', '--json'])).stdout) as { secret: string };
  const shopper = await ok(store, ['shoppers', 'create', 'shop', 'bob', '--first-name', 'Bob', '--email', 'bob@example.com']);
  const password = /^password: (\S+)$/m.exec(shopper.stdout)?.[1];
  assert.ok(password !== undefined, shopper.stdout);
  await ok(store, ['products', 'create', 'shop', 'p1', '--name', 'Thing', '--price', '12.50']);
  return { secret: key.secret, password };
}

async function provisionedScenario(t: TestContext, store: Store): Promise<void> {
  const { secret, password } = await provision(store);
  assert.match(secret, /^[0-9a-f]{64}$/, 'a confidential secret carries 256 random bits');
  const { app, db } = await appOn(t, store);
  const app_ = basic('shop-app', secret);

  // The printed secret and password work over HTTP, and the database holds neither in clear.
  const login = await token(app, app_, { grant_type: 'password', username: 'bob', password });
  assert.equal(login.statusCode, 200, login.body);
  const bob = login.json() as { access_token: string; refresh_token: string; expires_in: number };
  assert.ok(bob.expires_in > 3590 && bob.expires_in <= 3600, 'the site was created with --ttl 3600');
  const stored = await everything(db);
  assert.ok(stored.includes('shop-app') && stored.includes('bob@example.com'));
  assert.ok(!stored.includes(secret), 'the key secret is stored only hashed');
  assert.ok(!stored.includes(password), 'the password is stored only hashed');
  assert.equal((await token(app, basic('shop-app', secret + 'x'), { grant_type: 'password' })).statusCode, 401);
  const info = (await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${bob.access_token}` } })).json() as
    { sessionId: string; currency: string; locale: string; authenticated: string };
  assert.deepEqual([info.currency, info.locale, info.authenticated], ['EUR', 'de_DE', 'true']);
  const add = await app.inject({ method: 'POST', url: '/v1/shoppers/me/carts/active?productId=p1&quantity=2', headers: { authorization: `Bearer ${bob.access_token}`, accept: 'application/json' } });
  assert.equal(add.statusCode, 200, add.body);

  // sessions show: who, what is live, the cart; never a token value or hash.
  const shown = await ok(store, ['sessions', 'show', info.sessionId, '--json']);
  const details = JSON.parse(shown.stdout) as {
    site: string; status: string; shopper: { kind: string; username: string };
    live: { accessTokens: number; refreshTokens: number }; cart: { lines: Array<{ productId: string; quantity: number }>; subtotal: string };
  };
  assert.equal(details.site, 'shop');
  assert.equal(details.status, 'live');
  assert.deepEqual([details.shopper.kind, details.shopper.username], ['registered', 'bob']);
  assert.deepEqual(details.live.accessTokens, 1);
  assert.deepEqual(details.live.refreshTokens, 1);
  assert.deepEqual(details.cart.lines.map((l) => [l.productId, l.quantity]), [['p1', 2]]);
  assert.equal(details.cart.subtotal, '25.00');
  const hashes = await storedTokenHashes(db);
  for (const value of [bob.access_token, bob.refresh_token, ...hashes]) {
    assert.ok(!shown.stdout.includes(value), 'sessions show prints no token or hash');
  }

  // tokens revoke: every token of the shopper, on every session, answers "Token revoked" at once.
  const second = (await token(app, app_, { grant_type: 'password', username: 'bob', password })).json() as { access_token: string; refresh_token: string };
  const revoked = JSON.parse((await ok(store, ['tokens', 'revoke', '--site', 'shop', '--shopper', 'bob', '--json'])).stdout) as { accessTokens: number; refreshTokens: number };
  assert.deepEqual([revoked.accessTokens, revoked.refreshTokens], [2, 2]);
  assert.equal(deathReason(await me(app, bob.access_token)), 'Token revoked');
  assert.equal(deathReason(await me(app, second.access_token)), 'Token revoked');
  const refresh = await token(app, app_, { grant_type: 'refresh_token', refresh_token: second.refresh_token });
  assert.equal(refresh.statusCode, 400);
  assert.equal(refresh.json().error, 'invalid_grant');
  // The shopper can sign in again.
  const again = (await token(app, app_, { grant_type: 'password', username: 'bob', password })).json() as { access_token: string; refresh_token: string };
  assert.equal((await me(app, again.access_token)).statusCode, 200);

  // sessions end: the browser's cookie and session token and the app's tokens all die at once.
  const site = await app.inject({ method: 'GET', url: '/store/shop/SessionToken?format=json' });
  const cookie = site.cookies.find((c) => c.name === 'SLSESSION')!.value;
  const sessionToken = (site.json() as { session_token: string }).session_token;
  const limited = (await token(app, app_, { grant_type: 'password', dr_session_token: sessionToken })).json() as { access_token: string; refresh_token: string };
  const anonSession = ((await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${limited.access_token}` } })).json() as { sessionId: string }).sessionId;
  const before = JSON.parse((await ok(store, ['sessions', 'show', anonSession, '--json'])).stdout) as { live: Record<string, number> };
  assert.deepEqual(before.live, { cookies: 1, sessionTokens: 1, accessTokens: 1, refreshTokens: 1 });
  await ok(store, ['sessions', 'end', anonSession]);
  assert.equal(deathReason(await me(app, limited.access_token)), 'Session expired');
  const exchange = await token(app, app_, { grant_type: 'password', dr_session_token: sessionToken });
  assert.deepEqual([exchange.statusCode, exchange.json().error], [400, 'invalid_grant']);
  const refreshEnded = await token(app, app_, { grant_type: 'refresh_token', refresh_token: limited.refresh_token });
  assert.deepEqual([refreshEnded.statusCode, refreshEnded.json().error], [400, 'invalid_grant']);
  const browserAgain = await app.inject({ method: 'GET', url: '/store/shop/SessionToken?format=json', headers: { cookie: `SLSESSION=${cookie}` } });
  assert.notEqual((browserAgain.json() as { session_token: string }).session_token, sessionToken, 'the old cookie gets a fresh session');
  const after = JSON.parse((await ok(store, ['sessions', 'show', anonSession, '--json'])).stdout) as { status: string; live: Record<string, number> };
  assert.equal(after.status, 'expired');
  assert.deepEqual(after.live, { cookies: 0, sessionTokens: 0, accessTokens: 0, refreshTokens: 0 });
  // A signed-in shopper's ended session cannot be continued with its refresh token either.
  const bobSession = ((await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${again.access_token}` } })).json() as { sessionId: string }).sessionId;
  await ok(store, ['sessions', 'end', bobSession]);
  assert.equal(deathReason(await me(app, again.access_token)), 'Session expired');
  const bobRefresh = await token(app, app_, { grant_type: 'refresh_token', refresh_token: again.refresh_token });
  assert.deepEqual([bobRefresh.statusCode, bobRefresh.json().error], [400, 'invalid_grant']);

  // Bad input: a clear message, a non-zero exit, and not one row changed.
  const rowsBefore = await counts(db);
  const bad = await cliAll(store, [
    ['keys', 'create', 'nope', 'k1', '--type', 'public'],
    ['sites', 'create', 'shop', '--name', 'Again'],
    ['shoppers', 'create', 'shop', 'bob', '--password', 'whatever'],
    ['tokens', 'revoke', '--site', 'shop', '--shopper', 'nobody'],
    ['sessions', 'end', anonSession]
  ]);
  for (const result of bad) {
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^sessionlink: (no site "nope"|site "shop" already exists|shopper "bob" already exists|no shopper "nobody"|session [0-9a-f]+ already ended at \S+; nothing changed)/);
    assert.equal(result.stdout, '');
  }
  assert.deepEqual(await counts(db), rowsBefore);
}

test('SQLite: sites, keys, shoppers and products made by the CLI work over HTTP; sessions end and tokens revoke act at once', async (t) => {
  const store = sqliteStore(t);
  await provisionedScenario(t, store);
  // Not even the raw database files hold a printed secret.
  const created = JSON.parse((await ok(store, ['keys', 'create', 'shop', 'raw-check', '--type', 'confidential', '--json'])).stdout) as { secret: string };
  for (const file of readdirSync(store.dataDir).filter((f) => f.startsWith('sessionlink.db'))) {
    assert.ok(!readFileSync(join(store.dataDir, file)).includes(created.secret), `${file} holds the secret in clear`);
  }
});

test('PostgreSQL: the same, on a fresh database', async (t) => {
  await provisionedScenario(t, await pgStore(t));
});

test('keys rotate reaches a running server within its 5 s key cache; keys delete revokes the key\'s tokens at once', async (t) => {
  const store = sqliteStore(t);
  const { secret } = await provision(store);
  const two = JSON.parse((await ok(store, ['keys', 'create', 'shop', 'shop-two', '--type', 'confidential', '--json'])).stdout) as { secret: string };
  const { app } = await appOn(t, store);
  const grant = await token(app, basic('shop-app', secret), { grant_type: 'password' });
  assert.equal(grant.statusCode, 200, 'the old secret works (and the key is now cached)');
  const { access_token: issued } = grant.json() as { access_token: string };
  const rotated = JSON.parse((await ok(store, ['keys', 'rotate', 'shop-app', '--json'])).stdout) as { secret: string };
  assert.notEqual(rotated.secret, secret);
  const deadline = Date.now() + 6000;
  let oldStatus = 0;
  let issuedWhileCached = 0;
  while (Date.now() < deadline) {
    oldStatus = (await token(app, basic('shop-app', secret), { grant_type: 'password' })).statusCode;
    if (oldStatus === 401) break;
    issuedWhileCached++;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(oldStatus, 401, 'the old secret stops working within 5 s');
  assert.equal((await token(app, basic('shop-app', rotated.secret), { grant_type: 'password' })).statusCode, 200);
  assert.equal((await me(app, issued)).statusCode, 200, 'rotation does not revoke tokens already issued');

  // tokens revoke also finds an external shopper by its reference id.
  const ext = (await token(app, basic('shop-two', two.secret), { grant_type: 'client_credentials', dr_external_reference_id: 'ext-42' })).json() as { access_token: string };
  assert.equal((await me(app, ext.access_token)).statusCode, 200);
  const extRevoked = JSON.parse((await ok(store, ['tokens', 'revoke', '--site', 'shop', '--shopper', 'ext-42', '--json'])).stdout) as { externalReferenceId: string; accessTokens: number };
  assert.deepEqual([extRevoked.externalReferenceId, extRevoked.accessTokens], ['ext-42', 1]);
  assert.equal(deathReason(await me(app, ext.access_token)), 'Token revoked');

  const n = 2 + issuedWhileCached;
  const deleted = await ok(store, ['keys', 'delete', 'shop-app']);
  assert.match(deleted.stdout, new RegExp(`deleted key shop-app \\(site shop\\); revoked ${n} access and ${n} refresh tokens`));
  assert.equal(deathReason(await me(app, issued)), 'Token revoked');
  const keys = JSON.parse((await ok(store, ['keys', 'list', 'shop', '--json'])).stdout) as Array<{ key: string }>;
  assert.deepEqual(keys.map((k) => k.key), ['shop-two']);
});

test('seed loads a file as the server does, idempotently; a bad file exits 1 and changes nothing', async (t) => {
  const store = sqliteStore(t);
  const file = join(store.dataDir, 'seed.json');
  writeFileSync(file, JSON.stringify({
    sites: [{
      id: 'seeded', name: 'Seeded', apiKeys: [{ key: 'seeded-app', type: 'confidential', secret: 'seeded-secret-1' }],
      shoppers: [{ username: 'sam', password: 'Sam-pass-1' }], products: [{ id: 's1', name: 'One', price: '1.00' }]
    }]
  }));
  const first = await ok(store, ['seed', file]);
  assert.match(first.stdout, /loaded 1 sites, 1 API keys, 1 shoppers, 1 products/);
  await ok(store, ['seed', file]);
  const { app, db } = await appOn(t, store);
  const login = await token(app, basic('seeded-app', 'seeded-secret-1'), { grant_type: 'password', username: 'sam', password: 'Sam-pass-1' });
  assert.equal(login.statusCode, 200, login.body);
  const rows = await counts(db);
  assert.deepEqual([rows.sites, rows.api_keys, rows.shoppers, rows.products], [1, 1, 1, 1]);

  const invalidShape = join(store.dataDir, 'bad.json');
  writeFileSync(invalidShape, JSON.stringify({ sites: [{ id: 'x y', name: 'Bad' }] }));
  // Passes the schema, fails in the loader: the whole file is rolled back.
  const halfGood = join(store.dataDir, 'half.json');
  writeFileSync(halfGood, JSON.stringify({ sites: [{ id: 'half', name: 'Half', apiKeys: [{ key: 'half-app', type: 'confidential' }] }] }));
  const [shape, half, missing] = await cliAll(store, [['seed', invalidShape], ['seed', halfGood], ['seed', join(store.dataDir, 'absent.json')]]) as [CliResult, CliResult, CliResult];
  assert.equal(shape.code, 1);
  assert.match(shape.stderr, /seed file .*bad\.json is invalid at \/sites\/0\/id/);
  assert.equal(half.code, 1);
  assert.match(half.stderr, /confidential key half-app needs a secret/);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot load seed file .*absent\.json/);
  assert.deepEqual(await counts(db), rows);
});

test('usage errors exit 2 and change nothing; no database is invented for the wrong DATA_DIR', async (t) => {
  const store = sqliteStore(t);
  await ok(store, ['sites', 'create', 'shop', '--name', 'Shop']);
  await ok(store, ['shoppers', 'create', 'shop', 'amy', '--password-stdin'], 'Amy-pass-1\n');
  const shopKey = JSON.parse((await ok(store, ['keys', 'create', 'shop', 'shop-app', '--type', 'confidential', '--json'])).stdout) as { secret: string };
  const { app, db } = await appOn(t, store);
  const amyLogin = await app.inject({ method: 'GET', url: '/store/shop/SessionToken?format=json' });
  assert.equal(amyLogin.statusCode, 200);
  // The password read from stdin is the one the shopper signs in with: the line's newline is not part of it.
  const signedIn = await token(app, basic('shop-app', shopKey.secret), { grant_type: 'password', username: 'amy', password: 'Amy-pass-1' });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
  const withNewline = await token(app, basic('shop-app', shopKey.secret), { grant_type: 'password', username: 'amy', password: 'Amy-pass-1\n' });
  assert.deepEqual([withNewline.statusCode, withNewline.json().error], [400, 'invalid_grant']);
  const rows = await counts(db);
  const usage = await cliAll(store, [
    ['sites', 'create', 'bad id', '--name', 'X'],
    ['sites', 'create', 'other'],
    ['sites', 'create', 'other', '--name', 'X', '--ttl', 'soon'],
    ['sites', 'create', 'other', '--name', 'X', '--allowed-origin', 'https://a.example/path'],
    ['keys', 'create', 'shop', 'k', '--type', 'secret'],
    ['products', 'create', 'shop', 'p', '--name', 'P', '--price', '1.999'],
    ['products', 'create', 'shop', 'p', '--name', 'P', '--price', 'abc'],
    ['sites', 'list', '--bogus'],
    ['keys']
  ]);
  const expected = [/<id> may contain only letters, digits, "\.", "_" and "-" \(1 to 64 characters\), got "bad id"/, /--name is required/,
    /--ttl must be a whole number/, /--allowed-origin must be an origin/,
    /--type must be public or confidential, got "secret"/, /--price must be a decimal amount like 19\.99, got "1\.999"/,
    /--price must be a decimal amount like 19\.99, got "abc"/, /Unknown option '--bogus'/, /"keys" needs a subcommand/];
  usage.forEach((result, i) => {
    assert.equal(result.code, 2, `case ${i}: ${result.stderr}`);
    assert.match(result.stderr, expected[i]!);
    // Plain words, never the schema's own ("Expected union value", a regular expression).
    assert.doesNotMatch(result.stderr, /Expected|\^\[|\$'/);
    assert.match(result.stderr, /usage:/);
  });
  assert.deepEqual(await counts(db), rows);
  assert.match(await storedPasswordOf(db, 'amy') ?? '', /^scrypt\$/);

  const help = await ok(store, ['--help']);
  assert.match(help.stdout, /tokens revoke/);
  assert.match((await ok(store, ['sessions', 'end', '--help'])).stdout, /usage: sessionlink sessions end <sessionId>/);

  // A DATA_DIR with no database is not silently created by a command that only reads.
  const empty = join(store.dataDir, 'elsewhere');
  const wrong = await cli({ dataDir: empty, env: { DATA_DIR: empty } }, ['sites', 'list']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /no database at .*elsewhere\/sessionlink\.db/);
  assert.ok(!existsSync(empty), 'nothing was created');
  // An existing database without the server's secret is refused rather than given a new one.
  const noSecret = await cli({ dataDir: store.dataDir, env: { DATA_DIR: store.dataDir } }, ['keys', 'create', 'shop', 'k2', '--type', 'confidential']);
  assert.equal(noSecret.code, 1);
  assert.match(noSecret.stderr, /give the server's SESSIONLINK_SECRET/);
  assert.ok(!existsSync(join(store.dataDir, 'secret')));
  assert.deepEqual(await counts(db), rows);
});

test('sessions end on a session that already ended says so and exits 1; a signed-in shopper\'s leftover refresh token is still cut', async (t) => {
  const store = sqliteStore(t);
  await ok(store, ['sites', 'create', 'brief', '--name', 'Brief', '--ttl', '1']);
  const key = JSON.parse((await ok(store, ['keys', 'create', 'brief', 'brief-app', '--type', 'confidential', '--json'])).stdout) as { secret: string };
  await ok(store, ['shoppers', 'create', 'brief', 'cy', '--password-stdin'], 'Cy-pass-123\n');
  const { app } = await appOn(t, store);
  const auth = basic('brief-app', key.secret);
  const signedIn = (await token(app, auth, { grant_type: 'password', username: 'cy', password: 'Cy-pass-123' })).json() as { access_token: string; refresh_token: string };
  const sessionId = ((await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${signedIn.access_token}` } })).json() as { sessionId: string }).sessionId;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  // Expired on its own: the shopper's refresh token would still open a new session, so it is revoked.
  const first = await ok(store, ['sessions', 'end', sessionId]);
  assert.match(first.stdout, new RegExp(`^session ${sessionId} had already ended at \\S+; revoked its 1 live refresh token`));
  const refresh = await token(app, auth, { grant_type: 'refresh_token', refresh_token: signedIn.refresh_token });
  assert.deepEqual([refresh.statusCode, refresh.json().error], [400, 'invalid_grant']);
  const second = await cli(store, ['sessions', 'end', sessionId]);
  assert.equal(second.code, 1);
  assert.equal(second.stdout, '');
  assert.match(second.stderr, new RegExp(`^sessionlink: session ${sessionId} already ended at \\S+; nothing changed\n$`));
});

test('sites create --return-url: sites list shows it; a return URL off https is a usage error that changes nothing', async (t) => {
  const store = sqliteStore(t);
  await ok(store, ['sites', 'create', 'shop', '--name', 'Shop', '--return-url', 'https://shop.example/checkout/return']);
  const bad = await cli(store, ['sites', 'create', 'other', '--name', 'Other', '--return-url', 'http://shop.example/back']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--return-url must be an absolute https URL .*, got "http:\/\/shop\.example\/back"/);
  const list = await ok(store, ['sites', 'list']);
  assert.match(list.stdout, /return url/);
  assert.match(list.stdout, /https:\/\/shop\.example\/checkout\/return/);
  const sites = JSON.parse((await ok(store, ['sites', 'list', '--json'])).stdout) as Array<{ id: string; returnUrl: string | null }>;
  assert.deepEqual(sites.map((s) => [s.id, s.returnUrl]), [['shop', 'https://shop.example/checkout/return']]);
});
