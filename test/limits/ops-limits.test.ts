// Operational limits: /metrics counts sessions at most once per interval and can be kept from the
// public (a token, or a port of its own); slow clients cannot hold sockets (real sockets, small
// timeouts); the framework's and node's own refusals of a URL or headers speak the product's error
// shape and never echo the request back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { openStore, withKyselyPlugin } from '../../src/store/open.js';
import { DEMO_SEED, loadSeed } from '../../src/domain/seed.js';
import { buildTestApp, testConfig, tokenRequest, BASIC } from '../support/helpers.js';

/** Counts the queries that count all live rows of `sessions` (the gauge; not the budgets' count of anonymous ones). */
class SessionCountSpy implements KyselyPlugin {
  counts = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node as { kind: string; from?: { froms: Array<{ table?: { identifier?: { name?: string } } }> }; selections?: Array<{ selection?: { kind?: string; expression?: { kind?: string; func?: string } } }> };
    const table = node.from?.froms[0]?.table?.identifier?.name;
    const text = JSON.stringify(node.selections ?? []);
    const where = JSON.stringify((node as { where?: unknown }).where ?? null);
    if (node.kind === 'SelectQueryNode' && table === 'sessions' && text.includes('"count"') && !where.includes('shopper_id')) this.counts++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

async function metricsApp(t: TestContext, config: Partial<Config> = {}): Promise<{ app: FastifyInstance; spy: SessionCountSpy; advance: (s: number) => void }> {
  let now = Date.UTC(2026, 0, 1, 12);
  const spy = new SessionCountSpy();
  const store = await openStore({ databaseURL: null, dataDir: ':memory:' });
  await loadSeed({ store, secret: testConfig().secret, now: () => now }, DEMO_SEED);
  const app = await buildApp({ config: testConfig(config), store: withKyselyPlugin(store, spy), now: () => now });
  t.after(async () => { await app.close(); await store.close(); });
  return { app, spy, advance: (s) => { now += s * 1000; } };
}

function liveSessions(body: string): number {
  const m = /^sessionlink_sessions_live (\d+)$/m.exec(body);
  assert.ok(m, body);
  return Number(m[1]);
}

async function newSessions(app: FastifyInstance, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' })).statusCode, 200);
}

test('/metrics: live sessions are counted at most once per METRICS_REFRESH_SECONDS, once for any number of scrapers', async (t) => {
  const { app, spy, advance } = await metricsApp(t, { metricsRefreshSeconds: 15 });
  await newSessions(app, 3);
  const first = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(first.statusCode, 200);
  assert.equal(liveSessions(first.body), 3);
  assert.equal(spy.counts, 1);
  await newSessions(app, 2);
  const scrapes = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'GET', url: '/metrics' })));
  assert.deepEqual(scrapes.map((s) => liveSessions(s.body)), Array(8).fill(3), 'within the interval: the last count');
  assert.equal(spy.counts, 1, 'eight scrapers, no new count');
  advance(15);
  const later = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'GET', url: '/metrics' })));
  assert.deepEqual(later.map((s) => liveSessions(s.body)), Array(8).fill(5), 'after the interval: a fresh count');
  assert.equal(spy.counts, 2, 'one count for eight concurrent scrapers');
});

test('/metrics with METRICS_TOKEN answers only that bearer token (401 in the OAuth shape otherwise)', async (t) => {
  const { app } = await metricsApp(t, { metricsToken: 'metrics-token-0123456789' });
  for (const authorization of [undefined, 'Bearer wrong-token', 'Bearer metrics-token-012345678', 'Basic bWV0cmljcw==']) {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
    assert.equal(res.statusCode, 401, String(authorization));
    assert.equal(res.json().error, 'invalid_token');
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    assert.ok(!res.body.includes('sessionlink_'));
  }
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /sessionlink_sessions_live/);
});

test('/metrics with METRICS_PORT is served there only, and counts the API port\'s traffic', async (t) => {
  const { app } = await metricsApp(t, { metricsPort: 0 });
  assert.ok(app.metricsServer !== null, 'a metrics server exists');
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'not on the API port');
  assert.equal((await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).statusCode, 200);
  await app.metricsServer.listen({ port: 0, host: '127.0.0.1' });
  const address = app.metricsServer.server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /sessionlink_token_grants_total\{grant="client_credentials",result="issued"\} 1/);
});

const TIMEOUTS = { requestMs: 1000, headersMs: 500, keepAliveMs: 500, idleMs: 3000 };

async function listening(t: TestContext): Promise<number> {
  const { app } = await buildTestApp(t, { config: { timeouts: TIMEOUTS } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

interface Outcome {
  /** ms from connect until the server closed the socket, or null if it held it past the bound. */
  closedAfter: number | null;
  received: string;
}

/** Opens a socket, lets `drip` write to it slowly, and waits (at most `boundMs`) for the server to close it. */
async function slowClient(port: number, drip: (socket: Socket) => () => void, boundMs = 5000): Promise<Outcome> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => { received += d.toString(); });
  socket.on('error', () => { /* reset by the server: closed */ });
  await new Promise((r) => socket.once('connect', r));
  const stop = drip(socket);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), boundMs);
    socket.once('close', () => { clearTimeout(timer); resolve(true); });
  });
  stop();
  socket.destroy();
  return { closedAfter: closed ? Date.now() - started : null, received };
}

function trickle(socket: Socket, first: string, next: string): () => void {
  socket.write(first);
  const timer = setInterval(() => { if (socket.writable) socket.write(next); }, 100);
  return () => clearInterval(timer);
}

test('slow clients cannot hold sockets: 20 slow-body POSTs get 408 and are closed within the request timeout', async (t) => {
  const port = await listening(t);
  const head = 'POST /oauth20/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=';
  const outcomes = await Promise.all(Array.from({ length: 20 }, () => slowClient(port, (s) => trickle(s, head, 'a'))));
  for (const outcome of outcomes) {
    assert.ok(outcome.closedAfter !== null, 'the server held a slow-body socket past 5 s');
    assert.ok(outcome.closedAfter < 3000, `closed after ${outcome.closedAfter} ms`);
    assert.match(outcome.received, /^HTTP\/1\.1 408 /);
    assert.deepEqual(JSON.parse(outcome.received.slice(outcome.received.indexOf('\r\n\r\n') + 4)).error, 'invalid_request');
  }
});

test('slow headers get 408 within the headers timeout; an idle keep-alive connection is closed', async (t) => {
  const port = await listening(t);
  const slowHeaders = await slowClient(port, (s) => trickle(s, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'));
  assert.ok(slowHeaders.closedAfter !== null && slowHeaders.closedAfter < 2000, `slow headers: ${slowHeaders.closedAfter}`);
  assert.match(slowHeaders.received, /^HTTP\/1\.1 408 /);
  const idle = await slowClient(port, (s) => { s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'); return () => {}; });
  assert.match(idle.received, /^HTTP\/1\.1 200 /);
  assert.ok(idle.closedAfter !== null && idle.closedAfter < 2000, `idle keep-alive: ${idle.closedAfter}`);
});

test('URL errors from the framework speak the product\'s error shape and never echo the path', async (t) => {
  const { app } = await buildTestApp(t);
  const long = 'q'.repeat(300);
  const cases = [
    { url: `/v1/shoppers/me/carts/active/line-items/${long}?format=json`, status: 414, marker: long, shape: 'shopper' },
    { url: `/v1/shoppers/me/products/%zzevil-marker`, status: 400, marker: 'evil-marker', shape: 'shopper' },
    { url: `/oauth20/token%zzevil-marker`, status: 400, marker: 'evil-marker', shape: 'oauth' },
    { url: `/store/${long}/en_US/cart`, status: 414, marker: long, shape: 'page' },
    { url: `/store/acme/SessionToken%zz<script>evil-marker`, status: 400, marker: 'evil-marker', shape: 'page' }
  ] as const;
  for (const c of cases) {
    const res = await app.inject({ method: 'GET', url: c.url, headers: { accept: 'application/json' } });
    assert.equal(res.statusCode, c.status, c.url);
    assert.ok(!res.body.includes(c.marker) && !res.body.includes('evil'), `${c.url} echoed: ${res.body}`);
    assert.ok(!res.body.includes('FST_ERR'), res.body);
    if (c.shape === 'shopper') {
      const error = res.json().errors.error[0];
      assert.equal(error.code, 'invalid_request');
      assert.ok(typeof error.description === 'string' && error.description.length > 0);
    } else if (c.shape === 'oauth') {
      assert.equal(res.json().error, 'invalid_request');
    } else {
      assert.match(String(res.headers['content-type']), /^text\/html/);
    }
    assert.equal(res.headers['cache-control'], 'no-store');
  }
});

test('headers over node\'s limit get 431 in the OAuth shape on a real socket, nothing echoed', async (t) => {
  const port = await listening(t);
  const outcome = await slowClient(port, (s) => { s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'evil'.repeat(5000)}\r\n\r\n`); return () => {}; });
  assert.match(outcome.received, /^HTTP\/1\.1 431 /);
  assert.equal(JSON.parse(outcome.received.slice(outcome.received.indexOf('\r\n\r\n') + 4)).error, 'invalid_request');
  assert.ok(!outcome.received.includes('evil'));
});
