// The client as a package: login and logout on a session, per-call timeout and AbortSignal,
// network failures as SessionlinkError, the friendlier cart and order views, and a scratch project
// that installs Sessionlink from its folder and imports `sessionlink/client` under plain Node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SessionlinkClient, SessionlinkError, toCartView, toMoneyView, type TokenSet } from '../../src/client/index.js';
import { APP_KEY, APP_SECRET, buildTestApp } from '../support/helpers.js';
import { freePort } from './server-process.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

async function listening(t: TestContext): Promise<{ base: string; client: SessionlinkClient }> {
  const { app } = await buildTestApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  const base = `http://127.0.0.1:${address.port}`;
  return { base, client: new SessionlinkClient({ baseURL: base, clientId: APP_KEY, clientSecret: APP_SECRET }) };
}

async function failure(promise: Promise<unknown>): Promise<SessionlinkError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SessionlinkError, `a SessionlinkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SessionlinkError');
}

/** A TCP server that accepts connections and never answers. */
async function silentServer(t: TestContext): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => { sockets.add(socket); });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => server.close(() => done()));
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return `http://127.0.0.1:${address.port}`;
}

test('session.login(username, password) signs the shopper in on the same session, carrying the cart; a wrong password keeps the limited pair', async (t) => {
  const { client } = await listening(t);
  const seen: TokenSet[] = [];
  const session = await client.startSession({ type: 'anonymous' }, { onTokens: (tokens) => { seen.push(tokens); } });
  await session.addToCart('1001', 2);
  const before = await session.tokenInfo();
  const limited = session.tokens.accessToken;

  const wrong = await failure(session.login('jane', 'not-her-password'));
  assert.equal(wrong.code, 'invalid_grant');
  assert.equal(session.tokens.accessToken, limited);
  assert.equal((await session.tokenInfo()).authenticated, 'false');

  const tokens = await session.login('jane', 'Correct-Horse-9');
  assert.equal(tokens.kind, 'full');
  assert.deepEqual(seen.map((s) => s.accessToken), [tokens.accessToken], 'onTokens heard of the new pair');
  const after = await session.tokenInfo();
  assert.equal(after.authenticated, 'true');
  assert.equal(after.sessionId, before.sessionId);
  const cart = await session.cartView();
  assert.deepEqual(cart.items.map((i) => [i.productId, i.quantity]), [['1001', 2]]);
  // The session was re-keyed: the limited token is dead.
  const dead = await failure(client.tokenInfo(limited));
  assert.equal(dead.description, 'Session re-keyed at login');
  // Orders are a full token's: they answer now.
  assert.deepEqual(await session.orderViews(), []);
});

test('session.logout() revokes both tokens; later calls fail with session_closed without a request', async (t) => {
  const { client } = await listening(t);
  const session = await client.startSession({ type: 'password', username: 'jane', password: 'Correct-Horse-9' });
  await session.addToCart('1003', 1);
  const { accessToken, refreshToken } = session.tokens;
  await session.logout();
  assert.equal(session.loggedOut, true);
  assert.equal((await failure(client.tokenInfo(accessToken))).description, 'Token revoked');
  assert.equal((await failure(client.refreshToken(refreshToken))).code, 'invalid_grant');
  const closed = await failure(session.cart());
  assert.equal(closed.status, 0);
  assert.equal(closed.code, 'session_closed');
  await session.logout(); // twice is harmless
  // The shopper's saved cart outlives the app's logout.
  const again = await client.startSession({ type: 'password', username: 'jane', password: 'Correct-Horse-9' });
  assert.equal((await again.cartView()).itemCount, 1);
});

test('a call that gets no answer times out (client default and per call) as SessionlinkError timeout', async (t) => {
  const base = await silentServer(t);
  const client = new SessionlinkClient({ baseURL: base, clientId: APP_KEY, clientSecret: APP_SECRET, timeout: 300 });
  let started = Date.now();
  const byDefault = await failure(client.anonymousToken());
  assert.equal(byDefault.code, 'timeout');
  assert.equal(byDefault.status, 0);
  assert.equal(byDefault.isNetworkError, true);
  assert.match(byDefault.message, /POST http:\/\/127\.0\.0\.1:\d+\/oauth20\/token got no answer within 300 ms/);
  assert.ok(Date.now() - started < 3000, 'gave up near the limit');
  started = Date.now();
  const perCall = await failure(client.api('f'.repeat(64)).cart({ timeout: 100 }));
  assert.equal(perCall.code, 'timeout');
  assert.match(perCall.description, /within 100 ms/);
  assert.ok(Date.now() - started < 3000);
});

test('an AbortSignal aborts a call (also one aborted before it starts) as SessionlinkError aborted', async (t) => {
  const base = await silentServer(t);
  const client = new SessionlinkClient({ baseURL: base, clientId: APP_KEY, clientSecret: APP_SECRET, timeout: 0 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const aborted = await failure(client.anonymousToken({ signal: controller.signal }));
  assert.equal(aborted.code, 'aborted');
  assert.equal(aborted.isNetworkError, false);
  const early = await failure(client.api('f'.repeat(64)).products({ signal: AbortSignal.abort() }));
  assert.equal(early.code, 'aborted');
});

test('a dead server (a closed port) is a SessionlinkError network_error, not a bare TypeError', async () => {
  const port = await freePort();
  const client = new SessionlinkClient({ baseURL: `http://127.0.0.1:${port}`, clientId: APP_KEY, clientSecret: APP_SECRET });
  const err = await failure(client.anonymousToken());
  assert.equal(err.status, 0);
  assert.equal(err.code, 'network_error');
  assert.equal(err.isNetworkError, true);
  assert.match(err.description, new RegExp(`Could not reach POST http://127\\.0\\.0\\.1:${port}/oauth20/token: ECONNREFUSED`));
  assert.ok(err.cause instanceof Error, 'the underlying error is kept as cause');
  const viaSession = await failure(client.session({ access_token: 'f'.repeat(64), token_type: 'bearer', expires_in: 60, refresh_token: 'e'.repeat(64) }).cart());
  assert.equal(viaSession.code, 'network_error');
});

test('views: money as numbers and exact cents, plain item arrays, dates, beside the raw documents', async (t) => {
  const { client } = await listening(t);
  const session = await client.startSession({ type: 'password', username: 'jane', password: 'Correct-Horse-9' });
  await session.addToCart('1001', 3);
  await session.addToCart('1003', 1);
  const cart = await session.cartView();
  assert.equal(cart.itemCount, 4);
  assert.equal(cart.currency, 'USD');
  assert.deepEqual(cart.subtotal, { amount: 67.22, centAmount: 6722, currency: 'USD' });
  const widget = cart.items.find((i) => i.productId === '1001')!;
  assert.deepEqual([widget.name, widget.quantity, widget.unitPrice.amount, widget.total.centAmount], ['Widget', 3, 19.99, 5997]);
  assert.equal(typeof widget.id, 'string');
  assert.equal(cart.raw.pricing.subtotal.value, '67.22');
  assert.deepEqual(toCartView(await session.cart()).items, cart.items);
  await session.submitCart();
  const [order] = await session.orderViews();
  assert.ok(order !== undefined);
  assert.equal(order.total.centAmount, 6722);
  assert.ok(order.submittedAt instanceof Date && !Number.isNaN(order.submittedAt.getTime()));
  assert.deepEqual(order.items.map((i) => [i.productId, i.quantity, i.unitPrice.amount]).sort(), [['1001', 3, 19.99], ['1003', 1, 7.25]]);
  // Cents come from the digits: 0.1 + 0.2 style float error cannot creep in.
  assert.deepEqual(toMoneyView({ currency: 'EUR', value: '1234567.89' }), { amount: 1234567.89, centAmount: 123456789, currency: 'EUR' });
  assert.equal(toMoneyView({ currency: 'EUR', value: '0.3' }).centAmount, 30);
});

test('a scratch project installs Sessionlink from its folder and imports sessionlink/client under plain Node, with types', async (t) => {
  // What `npm ci` runs as `prepare`: the client compiled to dist/client, with declarations.
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.client.json')], { cwd: ROOT });
  const { base } = await listening(t);
  const scratch = mkdtempSync(join(tmpdir(), 'sl-scratch-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ROOT], { cwd: scratch, timeout: 60_000 });
  writeFileSync(join(scratch, 'main.mjs'), `
import { SessionlinkClient, SessionlinkError } from 'sessionlink/client';
const client = new SessionlinkClient({ baseURL: process.argv[2], clientId: 'acme-app', clientSecret: 'app-secret-123' });
const session = await client.startSession({ type: 'anonymous' });
await session.addToCart('1002', 2);
await session.login('jane', 'Correct-Horse-9');
const cart = await session.cartView();
let error = null;
try { await session.product('no-such-product'); } catch (err) { error = err instanceof SessionlinkError ? err.code : String(err); }
console.log(JSON.stringify({ kind: session.tokens.kind, items: cart.items.map((i) => [i.productId, i.quantity]), subtotal: cart.subtotal.amount, error }));
`);
  // Plain node: no tsx, no loader.
  const { stdout } = await run(process.execPath, ['main.mjs', base], { cwd: scratch, timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
  assert.deepEqual(JSON.parse(stdout), { kind: 'full', items: [['1002', 2]], subtotal: 69, error: 'resource-not-found' });

  // The types come with it: a correct use compiles, and a wrong one is caught (so they are not `any`).
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, lib: ['es2022', 'dom'] }, files: ['check.ts'] }));
  writeFileSync(join(scratch, 'check.ts'), `
import { SessionlinkClient, type CartView } from 'sessionlink/client';
const client = new SessionlinkClient({ baseURL: 'http://localhost:8080', clientId: 'k', timeout: 5000 });
export async function total(): Promise<number> {
  const session = await client.startSession({ type: 'anonymous' });
  const view: CartView = await session.cartView({ signal: AbortSignal.timeout(1000) });
  // @ts-expect-error money in a view is a number, not a string
  const wrong: string = view.subtotal.amount;
  void wrong;
  return view.subtotal.amount;
}
`);
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', scratch], { cwd: scratch });
});
