import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, buildTestApp } from '../support/helpers.js';
import { countWebhookRows } from '../support/reader.js';
import type { EndpointRow, Store } from '../../src/store/port.js';
import type { SessionRow } from '../../src/store/rows.js';

// The guarantees of the areas the webhooks and the way back added to the Store (src/store/port/
// webhooks.ts, returns.ts), on every database of the matrix: the outbox joins the change's
// transaction, a claim is exclusive and keeps each endpoint's order, a lease guards the outcome,
// a return code is spent once.

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function endpoint(id: string, url: string, events: string | null = null): EndpointRow {
  return { id, site_id: 'acme', url, secret_enc: 'v1.x.y.z', fingerprint: 'sha256:0', events, created_at: NOW };
}

function event(n: number, type = 'order.placed'): { id: string; siteId: string; sessionId: string; type: string; body: string; now: number } {
  return { id: `msg_${String(n).padStart(4, '0')}`, siteId: 'acme', sessionId: 's1', type, body: `{"n":${n}}`, now: NOW };
}

function sessionRow(id: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id, site_id: 'acme', shopper_id: null, epoch: 0, locale: 'en_US', currency: 'USD', ip: null, client_ip: null,
    cart_id: `cart-${id}`, created_at: NOW, last_used_at: NOW, expires_at: NOW + 3600_000, ...overrides
  };
}

for (const backend of BACKENDS) describe(`Store conformance (webhooks, returns) on ${backend}`, () => {
  async function open(t: TestContext): Promise<Store> {
    return (await buildTestApp(t, { backend })).store;
  }

  test('webhooks: an event is written only for subscribed endpoints, and rolls back with its transaction', async (t) => {
    const store = await open(t);
    assert.equal(await store.webhooks.writeEvent(event(1)), 0, 'no endpoint: nothing written');
    assert.equal(await countWebhookRows(store, 'webhook_events'), 0);
    await store.webhooks.insertEndpoint(endpoint('ep_a', 'https://a.example/hook'), 'nothing');
    await store.webhooks.insertEndpoint(endpoint('ep_b', 'https://b.example/hook', ',session.ended,'), 'nothing');
    await store.webhooks.insertEndpoint(endpoint('ep_dup', 'https://a.example/hook', ',x,'), 'nothing');
    assert.deepEqual((await store.webhooks.endpointsOf('acme')).map((e) => [e.id, e.events]), [['ep_a', null], ['ep_b', ',session.ended,']]);
    await assert.rejects(store.transaction(async (tx) => {
      assert.equal(await tx.webhooks.writeEvent(event(2)), 1, 'only the endpoint subscribed to every event');
      assert.equal(await countWebhookRows(tx, 'webhook_events'), 1, 'the transaction sees its own event');
      throw new Error('the change fails');
    }), /the change fails/);
    assert.equal(await countWebhookRows(store, 'webhook_events'), 0);
    assert.equal(await countWebhookRows(store, 'webhook_deliveries'), 0);
    assert.equal(await store.webhooks.writeEvent(event(3, 'session.ended')), 2);
    assert.equal(await store.webhooks.nextDueAt(), NOW);
  });

  test('webhooks: racing claims never share a delivery; an endpoint\'s next event waits; only the lease holder records', async (t) => {
    const store = await open(t);
    await store.webhooks.insertEndpoint(endpoint('ep_a', 'https://a.example/hook'), 'nothing');
    await store.webhooks.insertEndpoint(endpoint('ep_b', 'https://b.example/hook'), 'nothing');
    for (let n = 1; n <= 3; n++) await store.webhooks.writeEvent(event(n));
    const claims = await Promise.all(['one', 'two', 'three', 'four'].map(async (owner) =>
      await store.webhooks.claimDue({ now: NOW, owner, leaseUntil: NOW + 10_000, limit: 10 })));
    const ids = claims.flat().map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'no delivery claimed twice');
    assert.deepEqual(claims.flat().map((c) => c.event_id).sort(), ['msg_0001', 'msg_0001'], 'each endpoint\'s oldest event only');
    const first = claims.flat()[0]!;
    const holder = claims.findIndex((c) => c.some((d) => d.id === first.id));
    const owner = ['one', 'two', 'three', 'four'][holder]!;
    const outcome = { id: first.id, now: NOW, status: 'delivered' as const, nextAt: NOW, httpStatus: 204, error: null };
    assert.equal(await store.webhooks.finishDelivery({ ...outcome, owner: 'intruder' }), false);
    assert.equal(await store.webhooks.finishDelivery({ ...outcome, owner }), true);
    const next = await store.webhooks.claimDue({ now: NOW, owner: 'five', leaseUntil: NOW + 10_000, limit: 10 });
    assert.deepEqual(next.map((c) => [c.endpoint_id, c.event_id]), [[first.endpoint_id, 'msg_0002']]);
    assert.equal(await store.webhooks.replay('msg_0009', null, NOW), 0);
    assert.equal(await store.webhooks.deleteEndpoint('ep_a'), true);
    assert.equal(await store.webhooks.deleteEndpoint('ep_a'), false);
    await store.webhooks.removeSite('acme');
    assert.equal(await countWebhookRows(store, 'webhook_events'), 0);
    assert.equal(await countWebhookRows(store, 'webhook_deliveries'), 0);
  });

  test('returns: a handoff\'s target moves to the session once; a code is spent once, and only as it was bound', async (t) => {
    const store = await open(t);
    await store.sessions.insert(sessionRow('s1'));
    const target = { apiKey: 'acme-app', returnUrl: 'https://shop.example/back' };
    assert.equal(await store.returns.adoptHandoff('unknown', 's1', NOW + 60_000, NOW), null);
    await store.returns.rememberHandoff('h1', target, NOW + 60_000, NOW);
    assert.deepEqual(await store.returns.adoptHandoff('h1', 's1', NOW + 60_000, NOW), target);
    assert.equal(await store.returns.adoptHandoff('h1', 's1', NOW + 60_000, NOW), null, 'a handoff\'s target moves once');
    assert.deepEqual(await store.returns.ofSession('s1', NOW), target);
    assert.equal(await store.returns.ofSession('s1', NOW + 60_000), null, 'expired');
    const code = { hash: 'c1', sessionId: 's1', siteId: 'acme', orderId: 'o1', expiresAt: NOW + 60_000, ...target };
    await store.returns.insertCode(code, NOW);
    assert.equal(await store.returns.spendCode('c1', 'acme', { ...target, returnUrl: 'https://evil.example/' }, NOW), null);
    assert.equal(await store.returns.spendCode('c1', 'other', target, NOW), null);
    const spent = await Promise.all(Array.from({ length: 5 }, async () => await store.returns.spendCode('c1', 'acme', target, NOW)));
    assert.deepEqual(spent.filter((s) => s !== null), ['s1'], 'exactly one caller spends it');
    await store.returns.insertCode({ ...code, hash: 'c2' }, NOW);
    await store.returns.insertCode({ ...code, hash: 'c3' }, NOW);
    assert.equal(await store.returns.spendCode('c2', 'acme', target, NOW), null, 'a newer code replaces the unused one');
    assert.equal(await store.returns.spendCode('c3', 'acme', target, NOW), 's1');
  });

  test('sessions: heldByBrowser is true exactly when a handle reaches the session', async (t) => {
    const store = await open(t);
    await store.sessions.insert(sessionRow('server'));
    await store.sessions.insert(sessionRow('browser'));
    await store.sessions.addHandle({ hash: 'hb', session_id: 'browser', kind: 'cookie', epoch: 0, created_at: NOW });
    assert.equal(await store.sessions.heldByBrowser('server'), false);
    assert.equal(await store.sessions.heldByBrowser('browser'), true);
    assert.equal(await store.sessions.heldByBrowser('gone'), false);
  });
});
