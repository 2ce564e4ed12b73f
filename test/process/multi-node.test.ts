// Two server processes on one fresh PostgreSQL database: sessions, tokens and refresh rotation are
// shared state, so any node answers for any other. Fails (does not skip) without PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SEED } from '../support/seed.js';
import { createPgDatabase } from '../support/helpers.js';
import { freePort, startServer, stopServer, type RunningServer } from './server-process.js';

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
const GRACE_SECONDS = 1;

async function tokenCall(url: string, body: string): Promise<Response> {
  return await fetch(`${url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body });
}

async function token(url: string, body: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await tokenCall(url, body);
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json() as { access_token: string; refresh_token: string };
}

async function info(url: string, access: string): Promise<Response> {
  return await fetch(`${url}/oauth20/access-tokens`, { headers: { authorization: `Bearer ${access}` } });
}

test('two processes on one PostgreSQL database: start together, share sessions, tokens and refresh rotation', async (t) => {
  const database = await createPgDatabase();
  const dirs = [mkdtempSync(join(tmpdir(), 'sessionlink-node-a-')), mkdtempSync(join(tmpdir(), 'sessionlink-node-b-'))];
  const seedFile = join(dirs[0]!, 'seed.json');
  // The demo seed with a one-second refresh grace window, so reuse detection is reachable in real time.
  writeFileSync(seedFile, JSON.stringify({
    sites: DEMO_SEED.sites.map((site) => ({ ...site, session: { ...site.session, refreshGraceSeconds: GRACE_SECONDS } }))
  }));
  const servers: RunningServer[] = [];
  t.after(async () => {
    for (const server of servers) await stopServer(server);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });
  const secret = 'multi-node-secret-' + 'y'.repeat(24);
  const env = async (dataDir: string): Promise<Record<string, string>> => ({
    DATABASE_URL: database.url, SESSIONLINK_SECRET: secret, DATA_DIR: dataDir,
    DEMO_PORT: String(await freePort()), SESSIONLINK_SEED: seedFile
  });
  // Both start at once on an empty database: the advisory lock serialises the migrations.
  const started = await Promise.allSettled([startServer(await env(dirs[0]!)), startServer(await env(dirs[1]!))]);
  for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const [a, b] = servers as [RunningServer, RunningServer];

  // A session token and its cookie from A work on B.
  const site = await fetch(`${a.url}/store/acme/SessionToken?format=json`);
  assert.equal(site.status, 200);
  const cookie = /SLSESSION=([0-9a-f]+)/.exec(site.headers.get('set-cookie') ?? '')![1]!;
  const { session_token } = await site.json() as { session_token: string };
  const again = await fetch(`${b.url}/store/acme/SessionToken?format=json`, { headers: { cookie: `SLSESSION=${cookie}` } });
  assert.equal((await again.json() as { session_token: string }).session_token, session_token, 'B knows the cookie of A');
  const joined = await token(b.url, `grant_type=password&dr_session_token=${session_token}`);

  // An access token from A validates on B (and one from B on A).
  const guest = await token(a.url, 'grant_type=client_credentials');
  assert.equal((await info(b.url, guest.access_token)).status, 200);
  assert.equal((await info(a.url, joined.access_token)).status, 200);

  // A refresh token spent on A is spent on B: within grace B answers the same pair.
  const rotated = await token(a.url, `grant_type=refresh_token&refresh_token=${guest.refresh_token}`);
  const replay = await token(b.url, `grant_type=refresh_token&refresh_token=${guest.refresh_token}`);
  assert.deepEqual([replay.access_token, replay.refresh_token], [rotated.access_token, rotated.refresh_token]);

  // A refresh race split across A and B yields one pair.
  const race = await Promise.all(Array.from({ length: 10 }, (_, i) => token(i % 2 === 0 ? a.url : b.url, `grant_type=refresh_token&refresh_token=${rotated.refresh_token}`)));
  assert.equal(new Set(race.map((p) => p.access_token + ' ' + p.refresh_token)).size, 1, 'every racer got the same pair');
  const winner = race[0]!;
  assert.equal((await info(a.url, winner.access_token)).status, 200);

  // After the grace window, replaying the spent token on B revokes the chain everywhere.
  await new Promise((r) => setTimeout(r, (GRACE_SECONDS + 1) * 1000 + 100));
  const reuse = await tokenCall(b.url, `grant_type=refresh_token&refresh_token=${guest.refresh_token}`);
  assert.equal(reuse.status, 400);
  assert.equal((await reuse.json() as { error: string }).error, 'invalid_grant');
  for (const access of [rotated.access_token, winner.access_token]) {
    const res = await info(a.url, access);
    assert.equal(res.status, 401);
    assert.equal((await res.json() as { error_description: string }).error_description, 'Token revoked');
  }
  assert.equal((await tokenCall(a.url, `grant_type=refresh_token&refresh_token=${winner.refresh_token}`)).status, 400);
  // The other session is untouched.
  assert.equal((await info(a.url, joined.access_token)).status, 200);
});
