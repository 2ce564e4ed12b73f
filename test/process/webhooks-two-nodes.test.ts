// Two server processes on one database (one SQLite file, or one PostgreSQL database), each with
// its dispatcher: every event reaches every endpoint exactly once, in order per endpoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SEED } from '../../src/domain/seed.js';
import { BACKENDS, createPgDatabase } from '../support/helpers.js';
import { startReceiver, testSecret } from '../support/webhook-receiver.js';
import { startServer, stopServer, type RunningServer } from './server-process.js';

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');
const EVENTS = 10;

async function revokeOne(url: string): Promise<void> {
  const grant = await fetch(`${url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const { access_token } = await grant.json() as { access_token: string };
  assert.equal((await fetch(`${url}/oauth20/access-tokens`, { method: 'DELETE', headers: { authorization: `Bearer ${access_token}` } })).status, 200);
}

for (const backend of BACKENDS) {
  describe(`webhooks: two server processes on one database [${backend}]`, () => {
    it('deliver each event once per endpoint, in order', async (t) => {
      // A slow receiver widens the window in which both dispatchers look at the same rows.
      const rx = await startReceiver(() => (res) => { setTimeout(() => { res.statusCode = 204; res.end(); }, 15); });
      t.after(rx.close);
      const secret = testSecret();
      const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-webhooks-nodes-'));
      const database = backend === 'postgres' ? await createPgDatabase() : null;
      const servers: RunningServer[] = [];
      t.after(async () => {
        for (const server of servers) await stopServer(server);
        rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      });
      const seedFile = join(dataDir, 'seed.json');
      writeFileSync(seedFile, JSON.stringify({ sites: [{ ...DEMO_SEED.sites[0], webhooks: [{ url: `${rx.url}?a`, secret }, { url: `${rx.url}?b`, secret }] }] }));
      const env = {
        DATA_DIR: dataDir, SESSIONLINK_SEED: seedFile, SESSIONLINK_SECRET: 'two-nodes-webhooks-' + 'n'.repeat(24),
        WEBHOOK_POLL_SECONDS: '1', ...(database === null ? {} : { DATABASE_URL: database.url })
      };
      servers.push(await startServer(env));
      servers.push(await startServer(env));
      for (let i = 0; i < EVENTS; i++) await revokeOne(servers[i % 2]!.url);
      const deadline = Date.now() + 60_000;
      while (rx.received.length < EVENTS * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 2500)); // more polls on both: nothing more arrives
      for (const e of rx.events(secret)) assert.equal(e.type, 'session.ended');
      assert.equal(rx.received.length, EVENTS * 2);
      assert.equal(new Set(rx.received.map((r) => `${r.id}|${r.url}`)).size, EVENTS * 2, 'no delivery twice');
      for (const path of ['/hooks?a', '/hooks?b']) {
        const ids = rx.received.filter((r) => r.url === path).map((r) => r.id);
        assert.equal(ids.length, EVENTS, path);
        assert.deepEqual(ids, [...ids].sort(), `in order at ${path}`);
      }
    });
  });
}
