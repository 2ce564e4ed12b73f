// What a restart may undo (nothing an operator did) and what the demo leaves behind (nothing):
// the real admin CLI as its own process changes the store, then the server's own start-up
// (seedAtStart, as src/server.ts runs it) is run again on the same database with the same seed
// file, and the result is checked over HTTP on an app built afresh, as a restarted server would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createPgDatabase, form, testConfig } from '../support/helpers.js';
import { startedApp, type StartedApp } from '../support/startup.js';

const SECRET = 'seed-restart-secret-' + 'z'.repeat(24);

interface Store {
  dataDir: string;
  env: Record<string, string>;
}

async function cli(store: Store, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return await new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/sessionlink.js', ...args], {
      env: { PATH: process.env.PATH ?? '', ...store.env }, timeout: 120_000
    }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }));
    child.stdin?.end('');
  });
}

async function ok(store: Store, args: string[]): Promise<string> {
  const result = await cli(store, args);
  assert.equal(result.code, 0, `sessionlink ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

interface Running {
  app: FastifyInstance;
  seeded: NonNullable<StartedApp['seeded']>;
  stop: () => Promise<void>;
}

/** The server's start-up on the store's database (no cache survives from an earlier start). */
async function start(store: Store, options: { demo?: boolean; seedFile?: string | null } = {}): Promise<Running> {
  const config = testConfig({ dataDir: store.dataDir, databaseURL: store.env.DATABASE_URL ?? null, secret: SECRET });
  const { app, seeded, stop } = await startedApp(config, { demo: options.demo ?? false, production: false, seedFile: options.seedFile ?? null });
  return { app, seeded: seeded!, stop };
}

const basic = (key: string, secret: string): string => 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');

async function grant(app: FastifyInstance, authorization: string, values: Record<string, string>): Promise<{ statusCode: number; body: string; json: () => any }> {
  return await app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, payload: form(values) });
}

/** A public key in use: the anonymous password grant with only client_id. */
async function publicGrant(app: FastifyInstance, key: string): Promise<number> {
  const res = await app.inject({ method: 'POST', url: '/oauth20/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ grant_type: 'password', client_id: key }) });
  return res.statusCode;
}

function writeSeed(file: string, appSecret: string): void {
  writeFileSync(file, JSON.stringify({
    sites: [{
      id: 'shop', name: 'Shop', currency: 'EUR',
      apiKeys: [{ key: 'shop-app', type: 'confidential', secret: appSecret }, { key: 'shop-web', type: 'public' }],
      shoppers: [{ username: 'sam', password: 'Sam-pass-12', firstName: 'Sam', email: 'sam@example.com' }],
      products: [{ id: 'p1', name: 'Thing', price: '3.00' }]
    }]
  }));
}

async function rotationAndDeletionSurviveRestarts(t: TestContext, store: Store): Promise<void> {
  const seedFile = join(store.dataDir, 'seed.json');
  writeSeed(seedFile, 'leaked-seed-secret-1');
  let server = await start(store, { seedFile });
  t.after(async () => await server.stop());
  const leaked = basic('shop-app', 'leaked-seed-secret-1');
  const login = await grant(server.app, leaked, { grant_type: 'password', username: 'sam', password: 'Sam-pass-12' });
  assert.equal(login.statusCode, 200, login.body);
  assert.equal(await publicGrant(server.app, 'shop-web'), 200);
  // The shopper changes their own e-mail address through the API.
  const changed = await server.app.inject({ method: 'POST', url: '/v1/shoppers/me?emailAddress=sam%40new.example', headers: { authorization: `Bearer ${login.json().access_token}`, accept: 'application/json' } });
  assert.equal(changed.statusCode, 200, changed.body);

  // The operator rotates the leaked secret and deletes the public key with the real CLI.
  const rotated = JSON.parse(await ok(store, ['keys', 'rotate', 'shop-app', '--json'])) as { secret: string };
  await ok(store, ['keys', 'delete', 'shop-web']);

  // Restart, same seed file: nothing the operator or the shopper did is undone.
  await server.stop();
  server = await start(store, { seedFile });
  const old = await grant(server.app, leaked, { grant_type: 'password', username: 'sam', password: 'Sam-pass-12' });
  assert.equal(old.statusCode, 401, 'the rotated-away secret stays dead after a restart');
  assert.equal(old.json().error, 'invalid_client');
  const fresh = await grant(server.app, basic('shop-app', rotated.secret), { grant_type: 'password', username: 'sam', password: 'Sam-pass-12' });
  assert.equal(fresh.statusCode, 200, fresh.body);
  assert.equal(await publicGrant(server.app, 'shop-web'), 401, 'the deleted key stays deleted after a restart');
  const me = await server.app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${fresh.json().access_token}`, accept: 'application/json' } });
  assert.equal(me.json().shopper.emailAddress, 'sam@new.example', "the shopper's own change stays");
  assert.deepEqual((JSON.parse(await ok(store, ['keys', 'list', 'shop', '--json'])) as Array<{ key: string }>).map((k) => k.key), ['shop-app']);
  assert.deepEqual(server.seeded.seed, { applied: 0, unchanged: 5 }, 'every entry was applied before and is unchanged');
  // `sessionlink seed` follows the same rule as the server's start.
  await ok(store, ['seed', seedFile]);
  assert.equal((await grant(server.app, leaked, { grant_type: 'password' })).statusCode, 401);

  // Editing the key's entry in the seed file is a new instruction: it is applied (only that entry).
  writeSeed(seedFile, 'new-seed-secret-2');
  await server.stop();
  server = await start(store, { seedFile });
  assert.deepEqual(server.seeded.seed, { applied: 1, unchanged: 4 });
  assert.equal((await grant(server.app, basic('shop-app', 'new-seed-secret-2'), { grant_type: 'password' })).statusCode, 200);
  assert.equal((await grant(server.app, basic('shop-app', rotated.secret), { grant_type: 'password' })).statusCode, 401);
  assert.equal(await publicGrant(server.app, 'shop-web'), 401, 'an unchanged entry of a deleted key does not come back');
}

test('SQLite: a restart with the same seed keeps a rotated secret rotated, a deleted key deleted, and a shopper\'s change', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-seed-restart-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await rotationAndDeletionSurviveRestarts(t, { dataDir, env: { DATA_DIR: dataDir, SESSIONLINK_SECRET: SECRET } });
});

test('PostgreSQL: the same', async (t) => {
  const { url, drop } = await createPgDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-seed-restart-pg-'));
  t.after(async () => { rmSync(dataDir, { recursive: true, force: true }); await drop(); });
  await rotationAndDeletionSurviveRestarts(t, { dataDir, env: { DATA_DIR: dataDir, DATABASE_URL: url, SESSIONLINK_SECRET: SECRET } });
});

test('the demo site is gone after a start without --demo, with everything made on it; a real seed is untouched', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sl-demo-left-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = { dataDir, env: { DATA_DIR: dataDir, SESSIONLINK_SECRET: SECRET } };
  let server = await start(store, { demo: true });
  t.after(async () => await server.stop());
  const demoKey = basic('acme-app', 'app-secret-123');
  const jane = await grant(server.app, demoKey, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' });
  assert.equal(jane.statusCode, 200, jane.body);
  assert.equal((await server.app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' })).statusCode, 200);
  // A restart with the demo keeps its sessions (it is not reloaded over itself).
  await server.stop();
  server = await start(store, { demo: true });
  assert.equal((await server.app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${jane.json().access_token}` } })).statusCode, 200);

  // Now a real seed, no --demo: the demo's site, keys, shopper and tokens are all gone.
  const seedFile = join(dataDir, 'seed.json');
  writeSeed(seedFile, 'real-secret-1');
  await server.stop();
  server = await start(store, { seedFile });
  assert.equal((await grant(server.app, demoKey, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' })).statusCode, 401);
  assert.equal((await server.app.inject({ method: 'GET', url: '/store/acme/SessionToken?format=json' })).statusCode, 404);
  const revoked = await server.app.inject({ method: 'GET', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${jane.json().access_token}` } });
  assert.equal(revoked.statusCode, 401);
  assert.deepEqual((JSON.parse(await ok(store, ['sites', 'list', '--json'])) as Array<{ id: string }>).map((s) => s.id), ['shop']);
  assert.equal((await grant(server.app, basic('shop-app', 'real-secret-1'), { grant_type: 'password' })).statusCode, 200);
  assert.deepEqual(server.seeded.removedDemoSites, ['acme']);

  // The demo refuses to load over a site of its name that it did not make.
  await server.stop();
  await ok(store, ['sites', 'create', 'acme', '--name', 'A real Acme']);
  await assert.rejects(start(store, { demo: true }), /site "acme" that the demo did not make/);
  server = await start(store, { seedFile });
  assert.deepEqual(server.seeded.removedDemoSites, []);
  assert.equal((JSON.parse(await ok(store, ['sites', 'list', '--json'])) as Array<{ id: string; name: string }>).find((s) => s.id === 'acme')?.name, 'A real Acme');
});
