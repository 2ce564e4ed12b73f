// Two dispatchers, each on its own connection pool to one PostgreSQL database, race
// for the same deliveries: every event reaches every endpoint exactly once, in order per endpoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, BASIC, DEMO_SEED_WITH, form, openTestAppFor, type TestApp } from './support.js';
import { startReceiver, testSecret } from '../support/webhook-receiver.js';
import { Dispatcher } from '../../src/webhooks/dispatcher.js';
import { openStore } from '../../src/store/open.js';

const SETTINGS = { timeoutSeconds: 5, maxAttempts: 3, baseDelaySeconds: 1, maxDelaySeconds: 10, pollSeconds: 60 };
const EVENTS = 10;

async function revokeOne(t: TestApp): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: '/oauth20/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ grant_type: 'client_credentials' }) });
  const access = (res.json() as { access_token: string }).access_token;
  assert.equal((await t.app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${access}` } })).statusCode, 200);
}

// In one process only on PostgreSQL: two better-sqlite3 connections in one thread would wait on
// each other's open group commit synchronously. Two server processes on one SQLite file race in
// test/process/webhooks-two-nodes.test.ts.
for (const backend of BACKENDS.filter((b) => b === 'postgres')) {
  describe(`webhooks: two dispatchers on one database [${backend}]`, () => {
    it('deliver each event once per endpoint', async (t) => {
      // A slow receiver widens the window in which both dispatchers look at the same rows.
      const rx = await startReceiver(() => (res) => { setTimeout(() => { res.statusCode = 204; res.end(); }, 15); });
      t.after(rx.close);
      const secret = testSecret();
      const app = await openTestAppFor(backend, ':memory:', DEMO_SEED_WITH([{ url: `${rx.url}?a`, secret }, { url: `${rx.url}?b`, secret }]));
      t.after(app.close);
      const second = await openStore({ databaseURL: app.app.config.databaseURL, dataDir: ':memory:' });
      for (let i = 0; i < EVENTS; i++) await revokeOne(app);
      const dispatchers = [
        new Dispatcher(app.ctx, SETTINGS),
        new Dispatcher({ store: second, secret: app.ctx.secret, now: app.ctx.now }, SETTINGS)
      ];
      const deadline = Date.now() + 30_000;
      const work = [0, 0];
      try {
        await Promise.all(dispatchers.map(async (d, i) => {
          while (rx.received.length < EVENTS * 2 && Date.now() < deadline) {
            const n = await d.tick();
            work[i]! += n;
            if (n === 0) await new Promise((r) => setTimeout(r, 5));
          }
        }));
        // Nothing is left for either.
        assert.deepEqual(await Promise.all(dispatchers.map(async (d) => await d.tick())), [0, 0]);
      } finally {
        await second.close();
      }
      const byEndpoint = new Map<string, string[]>();
      for (const r of rx.events(secret)) assert.equal(r.type, 'session.ended');
      assert.equal(rx.received.length, EVENTS * 2, `deliveries: ${rx.received.length}, work ${work}`);
      const keys = rx.received.map((r) => `${r.id}|${r.url}`);
      assert.equal(new Set(keys).size, EVENTS * 2, 'no delivery twice');
      for (const r of rx.received) {
        const list = byEndpoint.get(r.url) ?? [];
        list.push(r.id);
        byEndpoint.set(r.url, list);
      }
      assert.equal(byEndpoint.size, 2);
      for (const ids of byEndpoint.values()) {
        assert.equal(ids.length, EVENTS);
        assert.deepEqual(ids, [...ids].sort(), 'in order per endpoint');
      }
    });
  });
}
