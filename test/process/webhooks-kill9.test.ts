// kill -9 between a change's commit and its webhook's delivery: the event is in the outbox (written
// with the change), so the restarted server delivers it, and a receiver that deduplicates by
// webhook-id acts on it exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer } from './server-process.js';
import { DEMO_SEED } from '../../src/domain/seed.js';
import { startReceiver, testSecret } from '../support/webhook-receiver.js';

const BASIC = 'Basic ' + Buffer.from('acme-app:app-secret-123').toString('base64');

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 while the first delivery is in flight: after a restart the event is delivered, once per webhook-id', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sessionlink-webhooks-kill9-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // The receiver: its first request never gets an answer (the server dies meanwhile); later ones
  // are acted on once per webhook-id and answered 200.
  const actedOn = new Map<string, number>();
  const rx = await startReceiver((n, req) => {
    if (n === 0) return 'hang';
    const id = String(req.headers['webhook-id']);
    actedOn.set(id, (actedOn.get(id) ?? 0) + 1);
    return 200;
  });
  t.after(rx.close);
  const secret = testSecret();
  const seedFile = join(dataDir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify({ sites: [{ ...DEMO_SEED.sites[0], webhooks: [{ url: rx.url, secret }] }] }));
  const env = {
    DATA_DIR: dataDir, SESSIONLINK_SEED: seedFile, SESSIONLINK_SECRET: 'kill9-webhooks-secret-' + 'k'.repeat(20),
    WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_POLL_SECONDS: '1', WEBHOOK_BASE_DELAY_SECONDS: '1'
  };
  const first = await startServer(env);
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  t.after(async () => { await stopServer(first); if (second) await stopServer(second); });

  const grant = await fetch(`${first.url}/oauth20/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const { access_token } = await grant.json() as { access_token: string };
  const revoke = await fetch(`${first.url}/oauth20/access-tokens`, { method: 'DELETE', headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(revoke.status, 200);
  await until('the first delivery', () => rx.received.length === 1);
  await stopServer(first, 'SIGKILL');

  second = await startServer(env);
  await until('the delivery after the restart', () => actedOn.size === 1, 60_000);
  // A few more polls: nothing else arrives.
  await new Promise((r) => setTimeout(r, 3000));
  const events = rx.events(secret);
  assert.equal(events.length, 2, 'the lost attempt and the one after the restart');
  assert.equal(events[0]!.id, events[1]!.id, 'the same webhook-id');
  assert.equal(events[1]!.type, 'session.ended');
  assert.deepEqual([...actedOn.values()], [1], 'acted on exactly once');
  assert.ok(!first.output().includes(secret.slice(6)) && !second.output().includes(secret.slice(6)), 'the secret never reached the logs');
});
