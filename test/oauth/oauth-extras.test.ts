import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../browser/browser.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import * as oauth from 'oauth4webapi';
import { ClientCredentials, ResourceOwnerPassword } from 'simple-oauth2';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { BACKENDS, openTestApp, type Backend } from '../support/helpers.js';

const SECRET = 'test-secret-0123456789abcdef';
const APP_BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A second site, so "another site's token" can be tested. */
const OTHER_SITE: Seed = {
  sites: [{
    id: 'beta', name: 'Beta Store',
    apiKeys: [{ key: 'beta-app', type: 'confidential', secret: 'beta-secret-456' }]
  }]
};

/** The demo site and OTHER_SITE on `backend`, on the real clock unless `now` is given. */
async function makeApp(backend: Backend, options: { publicApiURL?: string; now?: () => number } = {}): Promise<FastifyInstance> {
  const built = await openTestApp({
    backend, now: options.now ?? Date.now, seed: { sites: [...DEMO_SEED.sites, ...OTHER_SITE.sites] },
    config: { secret: SECRET, publicStoreURL: 'http://store.sessionlink.test', publicApiURL: options.publicApiURL ?? 'http://api.sessionlink.test' }
  });
  return built.app;
}

function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

interface Pair { access_token: string; refresh_token: string }

async function token(app: FastifyInstance, values: Record<string, string>, authorization = APP_BASIC): Promise<Pair> {
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { ...FORM, authorization }, payload: form(values) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Pair;
}

function post(app: FastifyInstance, url: string, values: Record<string, string>, authorization?: string): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...FORM };
  if (authorization !== undefined) headers.authorization = authorization;
  return app.inject({ method: 'POST', url, headers, payload: form(values) });
}

async function tokenInfoStatus(app: FastifyInstance, access: string): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${access}` } });
  return res.statusCode;
}

// Every suite here runs on each database of the matrix (test/support/helpers.ts BACKENDS).
for (const backend of BACKENDS) {
describe(`RFC 8414 metadata [${backend}]`, () => {
  let app: FastifyInstance;
  before(async () => { app = await makeApp(backend); });
  after(async () => { await app.close(); });

  test('names the endpoints under PUBLIC_API_URL', async () => {
    const res = await app.inject({ url: '/.well-known/oauth-authorization-server' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const doc = res.json();
    assert.equal(doc.issuer, 'http://api.sessionlink.test');
    assert.equal(doc.token_endpoint, 'http://api.sessionlink.test/oauth20/token');
    assert.equal(doc.revocation_endpoint, 'http://api.sessionlink.test/oauth20/revoke');
    assert.equal(doc.introspection_endpoint, 'http://api.sessionlink.test/oauth20/introspect');
    assert.deepEqual(doc.grant_types_supported, ['password', 'client_credentials', 'refresh_token', 'authorization_code']);
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.deepEqual(doc.response_types_supported, []);
  });
});

describe(`RFC 7009 revocation [${backend}]`, () => {
  let app: FastifyInstance;
  before(async () => { app = await makeApp(backend); });
  after(async () => { await app.close(); });

  test('needs client authentication', async () => {
    const res = await post(app, '/oauth20/revoke', { token: 'abc' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');
    assert.match(String(res.headers['www-authenticate']), /^Basic/);
    const wrong = await post(app, '/oauth20/revoke', { token: 'abc' }, 'Basic ' + Buffer.from('acme-app:nope').toString('base64'));
    assert.equal(wrong.statusCode, 401);
  });

  test('needs a token parameter', async () => {
    const res = await post(app, '/oauth20/revoke', {}, APP_BASIC);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });

  test('unknown tokens and unsupported hints answer 200', async () => {
    const res = await post(app, '/oauth20/revoke', { token: 'f'.repeat(64) }, APP_BASIC);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const hinted = await post(app, '/oauth20/revoke', { token: 'f'.repeat(64), token_type_hint: 'id_token' }, APP_BASIC);
    assert.equal(hinted.statusCode, 200);
  });

  test('revokes an access token of the authenticating key, and its refresh token', async () => {
    const pair = await token(app, { grant_type: 'client_credentials' });
    assert.equal(await tokenInfoStatus(app, pair.access_token), 200);
    const res = await post(app, '/oauth20/revoke', { token: pair.access_token, token_type_hint: 'access_token' }, APP_BASIC);
    assert.equal(res.statusCode, 200);
    assert.equal(await tokenInfoStatus(app, pair.access_token), 401);
    const refresh = await post(app, '/oauth20/token', { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, APP_BASIC);
    assert.equal(refresh.statusCode, 400);
    assert.equal(refresh.json().error, 'invalid_grant');
  });

  test("does not revoke another key's access token", async () => {
    const pair = await token(app, { grant_type: 'password' });
    const res = await post(app, '/oauth20/revoke', { token: pair.access_token, client_id: 'acme-public' });
    assert.equal(res.statusCode, 200);
    assert.equal(await tokenInfoStatus(app, pair.access_token), 200);
  });

  test('a public key revokes its own token with client_id alone', async () => {
    const pair = await token(app, { grant_type: 'password' }, 'Basic ' + Buffer.from('acme-public:').toString('base64'));
    const res = await post(app, '/oauth20/revoke', { token: pair.access_token, client_id: 'acme-public' });
    assert.equal(res.statusCode, 200);
    assert.equal(await tokenInfoStatus(app, pair.access_token), 401);
  });

  test('revokes a refresh token (with or without a hint) and the access token issued with it', async () => {
    for (const hint of ['refresh_token', undefined, 'bogus']) {
      const pair = await token(app, { grant_type: 'client_credentials' });
      const values: Record<string, string> = { token: pair.refresh_token };
      if (hint !== undefined) values.token_type_hint = hint;
      const res = await post(app, '/oauth20/revoke', values, APP_BASIC);
      assert.equal(res.statusCode, 200);
      assert.equal(await tokenInfoStatus(app, pair.access_token), 401, `hint ${hint}`);
      const refresh = await post(app, '/oauth20/token', { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, APP_BASIC);
      assert.equal(refresh.json().error, 'invalid_grant');
    }
  });

  test('only POST', async () => {
    const res = await app.inject({ method: 'GET', url: '/oauth20/revoke' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'POST');
  });
});

describe(`RFC 7662 introspection [${backend}]`, () => {
  let app: FastifyInstance;
  before(async () => { app = await makeApp(backend); });
  after(async () => { await app.close(); });

  test('confidential keys only', async () => {
    const pair = await token(app, { grant_type: 'client_credentials' });
    const pub = await post(app, '/oauth20/introspect', { token: pair.access_token, client_id: 'acme-public' });
    assert.equal(pub.statusCode, 401);
    assert.equal(pub.json().error, 'invalid_client');
    const bearer = await post(app, '/oauth20/introspect', { token: pair.access_token }, `Bearer ${pair.access_token}`);
    assert.equal(bearer.statusCode, 401);
    const none = await post(app, '/oauth20/introspect', { token: pair.access_token });
    assert.equal(none.statusCode, 401);
  });

  test('a live limited access token', async () => {
    const before = Math.floor(Date.now() / 1000);
    const pair = await token(app, { grant_type: 'client_credentials' });
    const res = await post(app, '/oauth20/introspect', { token: pair.access_token }, APP_BASIC);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const doc = res.json();
    assert.equal(doc.active, true);
    assert.equal(doc.client_id, 'acme-app');
    assert.equal(doc.token_type, 'bearer');
    assert.equal(doc.sub, 'Anonymous');
    assert.equal(doc.scope, 'limited');
    assert.equal(doc.site_id, 'acme');
    assert.match(doc.session_id, /^[0-9a-f]+$/);
    assert.ok(doc.iat >= before && doc.iat <= before + 5);
    assert.ok(Math.abs(doc.exp - (doc.iat + 86400)) <= 2, `exp ${doc.exp} iat ${doc.iat}`);
    const info = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${pair.access_token}` } });
    assert.equal(info.json().sessionId, doc.session_id);
  });

  test('client_secret_post works too; a full token names its shopper', async () => {
    const pair = await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' });
    const res = await post(app, '/oauth20/introspect', { token: pair.access_token, client_id: 'acme-app', client_secret: 'app-secret-123' });
    const doc = res.json();
    assert.equal(doc.active, true);
    assert.equal(doc.scope, 'full');
    assert.notEqual(doc.sub, 'Anonymous');
    const info = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${pair.access_token}` } });
    assert.equal(info.json().userId, doc.sub);
  });

  test('a live refresh token', async () => {
    const pair = await token(app, { grant_type: 'client_credentials', dr_external_reference_id: 'ext-7' });
    const doc = (await post(app, '/oauth20/introspect', { token: pair.refresh_token, token_type_hint: 'refresh_token' }, APP_BASIC)).json();
    assert.equal(doc.active, true);
    assert.equal(doc.token_type, 'refresh_token');
    assert.equal(doc.scope, 'full');
    assert.equal(doc.client_id, 'acme-app');
    // Spent by a refresh: no longer active.
    await token(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token });
    const spent = (await post(app, '/oauth20/introspect', { token: pair.refresh_token }, APP_BASIC)).json();
    assert.deepEqual(spent, { active: false });
  });

  test('unknown, revoked and other-site tokens are inactive', async () => {
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: 'a'.repeat(64) }, APP_BASIC)).json(), { active: false });
    const pair = await token(app, { grant_type: 'client_credentials' });
    const beta = 'Basic ' + Buffer.from('beta-app:beta-secret-456').toString('base64');
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: pair.access_token }, beta)).json(), { active: false });
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: pair.refresh_token }, beta)).json(), { active: false });
    await post(app, '/oauth20/revoke', { token: pair.access_token }, APP_BASIC);
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: pair.access_token }, APP_BASIC)).json(), { active: false });
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: pair.refresh_token }, APP_BASIC)).json(), { active: false });
  });

  test('a re-keyed token is inactive', async () => {
    const anon = await token(app, { grant_type: 'password' });
    const info = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${anon.access_token}` } });
    assert.equal(info.statusCode, 200);
    // Log in on a fresh anonymous session via dr_limited_token: the limited token dies.
    await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', dr_limited_token: anon.access_token });
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: anon.access_token }, APP_BASIC)).json(), { active: false });
  });

  test('needs a token parameter', async () => {
    const res = await post(app, '/oauth20/introspect', {}, APP_BASIC);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });
});

describe(`expired sessions [${backend}]`, () => {
  let app: FastifyInstance;
  let clock = Date.UTC(2030, 0, 1);
  before(async () => { app = await makeApp(backend, { now: () => clock }); });
  after(async () => { await app.close(); });

  test("a shopper's refresh token outlives the session; revoking the expired access token kills it", async () => {
    const kept = await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' });
    const dropped = await token(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' });
    const anon = await token(app, { grant_type: 'client_credentials' });
    clock += 86401 * 1000;
    assert.equal(await tokenInfoStatus(app, dropped.access_token), 401);
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: dropped.access_token }, APP_BASIC)).json(), { active: false });
    const refreshDoc = (await post(app, '/oauth20/introspect', { token: dropped.refresh_token }, APP_BASIC)).json();
    assert.equal(refreshDoc.active, true);
    assert.equal(refreshDoc.scope, 'full');
    // An anonymous refresh token dies with its session.
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: anon.refresh_token }, APP_BASIC)).json(), { active: false });

    assert.equal((await post(app, '/oauth20/revoke', { token: dropped.access_token }, APP_BASIC)).statusCode, 200);
    const refused = await post(app, '/oauth20/token', { grant_type: 'refresh_token', refresh_token: dropped.refresh_token }, APP_BASIC);
    assert.equal(refused.json().error, 'invalid_grant');
    assert.deepEqual((await post(app, '/oauth20/introspect', { token: dropped.refresh_token }, APP_BASIC)).json(), { active: false });
    // The control: the other pair continues on a new session.
    const renewed = await token(app, { grant_type: 'refresh_token', refresh_token: kept.refresh_token });
    assert.equal(await tokenInfoStatus(app, renewed.access_token), 200);
  });
});

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue;
    if (Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe(`metrics [${backend}]`, () => {
  let app: FastifyInstance;
  let other: FastifyInstance;
  before(async () => { app = await makeApp(backend); other = await makeApp(backend); });
  after(async () => { await app.close(); await other.close(); });

  test('grants, failures, latency and live sessions', async () => {
    await token(app, { grant_type: 'client_credentials' });
    await token(app, { grant_type: 'password' });
    await token(app, { grant_type: 'password' });
    const bad = await post(app, '/oauth20/token', { grant_type: 'password', username: 'jane', password: 'wrong' }, APP_BASIC);
    assert.equal(bad.statusCode, 400);
    await post(app, '/oauth20/token', { grant_type: 'password' }, 'Basic ' + Buffer.from('nobody:x').toString('base64'));
    await app.inject({ url: '/no/such/route' });

    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const text = res.body;
    assert.equal(sample(text, 'sessionlink_token_grants_total', { grant: 'client_credentials', result: 'issued' }), 1);
    assert.equal(sample(text, 'sessionlink_token_grants_total', { grant: 'password', result: 'issued' }), 2);
    assert.equal(sample(text, 'sessionlink_token_grants_total', { grant: 'password', result: 'failed' }), 1);
    assert.equal(sample(text, 'sessionlink_errors_total', { code: 'invalid_grant', status: '400' }), 1);
    assert.equal(sample(text, 'sessionlink_errors_total', { code: 'invalid_client', status: '401' }), 1);
    assert.equal(sample(text, 'sessionlink_errors_total', { code: 'resource-not-found', status: '404' }), 1);
    assert.equal(sample(text, 'sessionlink_http_request_duration_seconds_count', { method: 'POST', route: '/oauth20/token', status: '200' }), 3);
    assert.equal(sample(text, 'sessionlink_sessions_live'), 3);

    // Each app has its own registry.
    const otherText = (await other.inject({ url: '/metrics' })).body;
    assert.equal(sample(otherText, 'sessionlink_token_grants_total', { grant: 'password', result: 'issued' }), undefined);
    assert.equal(sample(otherText, 'sessionlink_sessions_live'), 0);
  });
});

describe(`docs [${backend}]`, () => {
  let app: FastifyInstance;
  before(async () => { app = await makeApp(backend); });
  after(async () => { await app.close(); });

  test('GET /docs is the UI and /docs/json the OpenAPI document of every route', async () => {
    const ui = await app.inject({ url: '/docs' });
    assert.equal(ui.statusCode, 200);
    assert.match(String(ui.headers['content-type']), /text\/html/);
    const res = await app.inject({ url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/oauth20/token', '/oauth20/token.json', '/oauth20/access-tokens', '/v1/shoppers/token',
      '/oauth20/revoke', '/oauth20/introspect', '/.well-known/oauth-authorization-server', '/metrics', '/healthz', '/readyz',
      '/store/{siteId}/{action}']) {
      assert.ok(doc.paths[path] !== undefined, `missing ${path}`);
    }
    assert.ok(doc.paths['/oauth20/revoke'].post.summary.includes('7009'));
    assert.equal(doc.paths['/oauth20/revoke'].get, undefined, 'the 405 stubs are hidden');
    assert.deepEqual(Object.keys(doc.paths['/oauth20/token']), ['post']);
    assert.deepEqual(Object.keys(doc.paths['/oauth20/access-tokens']).sort(), ['delete', 'get']);
    assert.ok(doc.paths['/oauth20/token'].post.summary.length > 0);
    // Documentation only: the hidden stubs still answer 405.
    assert.equal((await app.inject({ method: 'GET', url: '/oauth20/token' })).statusCode, 405);
    assert.equal((await app.inject({ method: 'PUT', url: '/oauth20/access-tokens' })).statusCode, 405);
    assert.ok(Object.keys(doc.paths).every((p: string) => !p.startsWith('/docs')));
  });
});


describe(`standard OAuth client libraries over a real socket [${backend}]`, () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await makeApp(backend, { publicApiURL: base });
    await app.listen({ port, host: '127.0.0.1' });
  });
  after(async () => { await app.close(); });

  test('oauth4webapi: discovery, client_credentials, introspection, revocation', async () => {
    const issuer = new URL(base);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    assert.equal(as.token_endpoint, `${base}/oauth20/token`);
    const client: oauth.Client = { client_id: 'acme-app' };
    const auth = oauth.ClientSecretBasic('app-secret-123');

    const tokens = await oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure));
    assert.equal(tokens.token_type, 'bearer');
    assert.match(tokens.access_token, /^[0-9a-f]{76}$/);
    assert.equal(typeof tokens.expires_in, 'number');

    const live = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(live.active, true);
    assert.equal(live.client_id, 'acme-app');
    assert.equal(live.scope, 'limited');

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
    const dead = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(dead.active, false);

    // client_secret_post and a public client ('none') are advertised and work.
    const post = await oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('app-secret-123'), {}, insecure));
    assert.match(post.access_token, /^[0-9a-f]{76}$/);
    const pub: oauth.Client = { client_id: 'acme-public' };
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, pub, oauth.None(), post.access_token, insecure));
    assert.equal(await tokenInfoStatus(app, post.access_token), 200, "a public key cannot revoke another key's token");

    // A failed client authentication is a 401 Basic challenge (RFC 6749 §5.2) the library surfaces.
    await assert.rejects(async () => {
      await oauth.processClientCredentialsResponse(as, client,
        await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('wrong'), {}, insecure));
    }, (err: unknown) => err instanceof oauth.WWWAuthenticateChallengeError && err.status === 401 &&
      err.cause.some((c) => c.scheme === 'basic'));
    // Other errors are RFC 6749 error bodies.
    await assert.rejects(async () => {
      await oauth.processClientCredentialsResponse(as, client,
        await oauth.clientCredentialsGrantRequest(as, client, auth, { dr_external_reference_id: 'x'.repeat(300) }, insecure));
    }, (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_request' && err.status === 400);
  });

  test('simple-oauth2: password grant, client credentials with an external reference, refresh', async () => {
    const options = {
      client: { id: 'acme-app', secret: 'app-secret-123' },
      auth: { tokenHost: base, tokenPath: '/oauth20/token' }
    };
    const password = new ResourceOwnerPassword(options);
    const login = await password.getToken({ username: 'jane', password: 'Correct-Horse-9' });
    assert.match(login.token.access_token, /^[0-9a-f]{76}$/);
    assert.equal(login.expired(), false);
    const info = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${login.token.access_token}` } });
    assert.equal(info.json().authenticated, 'true');

    const refreshed = await login.refresh();
    assert.notEqual(refreshed.token.access_token, login.token.access_token);
    assert.notEqual(refreshed.token.refresh_token, login.token.refresh_token);
    const after = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${refreshed.token.access_token}` } });
    assert.equal(after.json().sessionId, info.json().sessionId);

    const credentials = new ClientCredentials(options);
    const external = await credentials.getToken({ dr_external_reference_id: 'partner-shopper-1' });
    const extInfo = await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${external.token.access_token}` } });
    assert.equal(extInfo.json().externalReferenceId, 'partner-shopper-1');
    assert.equal(extInfo.json().authenticated, 'true');
    const again = await external.refresh();
    assert.match(again.token.access_token, /^[0-9a-f]{76}$/);

    await assert.rejects(password.getToken({ username: 'jane', password: 'wrong' }), (err: unknown) => {
      const e = err as { output?: { statusCode?: number }; data?: { payload?: { error?: string } } };
      return e.output?.statusCode === 400 && e.data?.payload?.error === 'invalid_grant';
    });
  });
});
}
