import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, BASIC, buildTestApp, tokenRequest } from '../support/helpers.js';
import { countStored } from '../support/reader.js';
import type { SessionRow } from '../../src/store/rows.js';
import type { PairRows, Store } from '../../src/store/port.js';
import type { TestContext } from 'node:test';

// The Store's guarantees (src/store/port.ts), method by method, on every database of the matrix:
// what a read answers for a row that is gone, all-or-none writes, uniqueness, and races.

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
let serial = 0;

function sessionRow(id: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id, site_id: 'acme', shopper_id: null, epoch: 0, locale: 'en_US', currency: 'USD', ip: null, client_ip: null,
    cart_id: `cart-${id}`, created_at: NOW, last_used_at: NOW, expires_at: NOW + 3600_000, ...overrides
  };
}

function pairOn(session: SessionRow): PairRows {
  serial++;
  const row = { session_id: session.id, site_id: 'acme', api_key: 'acme-app', kind: 'limited' as const, epoch: session.epoch, chain_id: `chain-${serial}`, created_at: NOW };
  return {
    access: { ...row, hash: `access-${serial}-${session.id}` },
    refresh: { ...row, hash: `refresh-${serial}-${session.id}`, access_hash: `access-${serial}-${session.id}`, shopper_id: null, expires_at: NOW + 86400_000 }
  };
}

for (const backend of BACKENDS) describe(`Store conformance on ${backend}`, () => {
  async function open(t: TestContext) {
    const opened = await buildTestApp(t, { backend });
    const store: Store = opened.store;
    const stored = async (): Promise<[number, number, number]> =>
      [await countStored(opened.db, 'sessions'), await countStored(opened.db, 'access_tokens'), await countStored(opened.db, 'refresh_tokens')];
    return { ...opened, store, stored };
  }

  test('sessions: insert never overwrites; reads of a gone row answer null', async (t) => {
    const { store } = await open(t);
    assert.equal(await store.sessions.get('nope'), null);
    assert.equal(await store.sessions.address('nope'), null);
    assert.equal(await store.sessions.cartOf('nope'), null);
    assert.equal(await store.sessions.findHandle('nope'), null);
    assert.equal(await store.sessions.insert(sessionRow('s1')), true);
    assert.equal(await store.sessions.insert(sessionRow('s1', { locale: 'de_DE' })), false);
    assert.equal((await store.sessions.get('s1'))?.locale, 'en_US');
    const handle = { hash: 'h1', session_id: 's1', kind: 'cookie' as const, epoch: 0, created_at: NOW };
    await store.sessions.addHandle(handle);
    await store.sessions.addHandle({ ...handle, epoch: 7 });
    assert.equal(await store.sessions.hasHandle('h1'), true);
    assert.equal((await store.sessions.findHandle('h1'))?.handle_epoch, 0);
  });

  test('sessions: a touch moves a live session only; afterRun hears whether it did', async (t) => {
    const { store } = await open(t);
    await store.sessions.insert(sessionRow('live'));
    await store.sessions.insert(sessionRow('dead', { expires_at: NOW - 1 }));
    const heard: boolean[] = [];
    assert.equal(await store.sessions.touch({ id: 'live', now: NOW + 5000, expires_at: NOW + 9000, client_ip: '10.0.0.1' }, (c) => heard.push(c)), true);
    assert.equal(await store.sessions.touch({ id: 'dead', now: NOW + 5000, expires_at: NOW + 9000, client_ip: null }, (c) => heard.push(c)), false);
    assert.deepEqual(heard, [true, false]);
    assert.equal((await store.sessions.get('live'))?.expires_at, NOW + 9000);
    assert.equal((await store.sessions.get('dead'))?.expires_at, NOW - 1);
  });

  test('sessions: of concurrent re-keys from one epoch exactly one wins', async (t) => {
    const { store } = await open(t);
    await store.sessions.insert(sessionRow('rk'));
    const outcomes = await Promise.all(Array.from({ length: 6 }, async () => await store.sessions.rekey('rk', 0, 'shopper-1', null)));
    assert.equal(outcomes.filter(Boolean).length, 1);
    assert.equal((await store.sessions.get('rk'))?.epoch, 1);
    assert.equal(await store.sessions.rekey('gone', 0, 'shopper-1', null), false);
  });

  test('sessions: of concurrent cart moves from one cart exactly one wins; end revokes refresh tokens', async (t) => {
    const { store } = await open(t);
    const session = sessionRow('mv');
    await store.sessions.insert(session);
    const moved = await Promise.all(['c1', 'c2', 'c3'].map(async (to) => await store.sessions.moveCart('mv', session.cart_id, to)));
    assert.equal(moved.filter(Boolean).length, 1);
    await store.tokens.writePair(pairOn(session));
    assert.equal(await store.sessions.end('gone', NOW), false);
    assert.equal(await store.sessions.end('mv', NOW), true);
    assert.equal((await store.sessions.get('mv'))?.expires_at, NOW);
  });

  test('tokens: a session with its pair is stored all or none; a taken id stores nothing', async (t) => {
    const { store, stored } = await open(t);
    const before = await stored();
    const session = sessionRow(`new-${backend}`);
    assert.equal(await store.tokens.writeSessionAndPair(session, pairOn(session), false), true);
    assert.deepEqual(await stored(), [before[0] + 1, before[1] + 1, before[2] + 1]);
    assert.equal(await store.tokens.writeSessionAndPair(session, pairOn(session), true), false);
    assert.deepEqual(await stored(), [before[0] + 1, before[1] + 1, before[2] + 1]);
    const pair = pairOn(session);
    const found = await store.tokens.findWithSession(pairOn(session).access.hash);
    assert.equal(found, null);
    await store.tokens.writePairNow(pair);
    assert.equal((await store.tokens.findWithSession(pair.access.hash))?.session.id, session.id);
    assert.equal((await store.tokens.findRefresh(pair.refresh.hash))?.access_hash, pair.access.hash);
  });

  test('tokens: racing writes of one pair store it once', async (t) => {
    const { store, stored } = await open(t);
    const session = sessionRow('race');
    await store.sessions.insert(session);
    const before = await stored();
    const same = pairOn(session);
    await Promise.all([store.tokens.writePairNow(same), store.tokens.writePairNow(same), store.tokens.writePair(same)]);
    assert.deepEqual(await stored(), [before[0], before[1] + 1, before[2] + 1]);
  });

  test('tokens: the one-statement exchange exists exactly on PostgreSQL and stores nothing for an unknown handle', async (t) => {
    const { store, stored } = await open(t);
    assert.equal(store.tokens.exchangesAtOnce, backend === 'postgres');
    if (!store.tokens.exchangesAtOnce) return;
    const before = await stored();
    const row = await store.tokens.exchangeHandle({
      handle_hash: 'no-such-handle', handle_kind: 'session_token', site_id: 'acme', now: NOW,
      a_hash: 'a-x', r_hash: 'r-x', api_key: 'acme-app', kind: 'limited', chain_id: 'chain-x', r_expires_at: NOW + 1000
    });
    assert.equal(row, null);
    assert.deepEqual(await stored(), before);
  });

  test('tokens: revoking a refresh token of another key changes nothing', async (t) => {
    const { store } = await open(t);
    const session = sessionRow('rv');
    const pair = pairOn(session);
    await store.tokens.writeSessionAndPair(session, pair, false);
    assert.equal(await store.tokens.revokeRefresh(pair.refresh.hash, 'other-app'), false);
    assert.equal((await store.tokens.findAccess(pair.access.hash))?.revoked_reason, null);
    assert.equal(await store.tokens.revokeRefresh(pair.refresh.hash, 'acme-app'), true);
    assert.equal((await store.tokens.findAccess(pair.access.hash))?.revoked_reason, 'revoked');
  });

  test('transaction: a throw rolls back every method run in it', async (t) => {
    const { store, stored } = await open(t);
    const before = await stored();
    await assert.rejects(store.transaction(async (tx) => {
      const session = sessionRow('tx');
      await tx.sessions.insert(session);
      await tx.tokens.writePair(pairOn(session));
      throw new Error('abort');
    }), /abort/);
    assert.deepEqual(await stored(), before);
    assert.equal(await store.sessions.get('tx'), null);
  });

  test('refresh rotation: two concurrent refreshes of one token get one pair, stored once', async (t) => {
    const { app, db } = await open(t);
    const grant = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
    assert.equal(grant.statusCode, 200, grant.body);
    const before = await countStored(db, 'refresh_tokens');
    const [a, b] = await Promise.all([0, 1].map(async () =>
      await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: grant.json().refresh_token }, { authorization: BASIC })));
    assert.equal(a!.statusCode, 200, a!.body);
    assert.equal(b!.statusCode, 200, b!.body);
    assert.equal(a!.json().access_token, b!.json().access_token);
    assert.equal(await countStored(db, 'refresh_tokens'), before + 1);
  });

  test('handoffs: of concurrent consumptions exactly one wins; peek does not consume; expired answers null', async (t) => {
    const { store } = await open(t);
    await store.sessions.insert(sessionRow('ho'));
    await store.handoffs.insert({ hash: 'code', session_id: 'ho', epoch: 0, expires_at: NOW + 60_000, used_at: null });
    assert.equal((await store.handoffs.peek('code', NOW))?.id, 'ho');
    assert.equal(await store.handoffs.peek('code', NOW + 60_000), null);
    const won = await Promise.all(Array.from({ length: 5 }, async () => await store.handoffs.consume('code', NOW)));
    assert.equal(won.filter((w) => w !== null).length, 1);
    assert.equal(await store.handoffs.peek('code', NOW), null);
    assert.equal(await store.handoffs.consume('unknown', NOW), null);
  });

  test('carts: version compare-and-set lets one of racing changes through', async (t) => {
    const { store } = await open(t);
    await store.carts.ensure({ id: 'cart-x', site_id: 'acme', session_id: 's', shopper_id: null, now: NOW });
    await store.carts.ensure({ id: 'cart-x', site_id: 'acme', session_id: 'other', shopper_id: null, now: NOW });
    assert.equal((await store.carts.get('cart-x'))?.session_id, 's');
    const bumped = await Promise.all(Array.from({ length: 4 }, async () => await store.carts.bumpVersion('cart-x', 0, NOW)));
    assert.equal(bumped.filter(Boolean).length, 1);
    assert.equal(await store.carts.close('cart-x', 0, 'submitted', NOW), false);
    assert.equal(await store.carts.close('cart-x', 1, 'submitted', NOW), true);
    assert.equal(await store.carts.get('gone'), null);
  });

  test('sites: ids and keys are unique; a key needs its site; deleting a key revokes its tokens', async (t) => {
    const { store } = await open(t);
    const site = (await store.sites.get('acme'))!;
    assert.equal(await store.sites.create(site), false);
    assert.equal(await store.sites.createKey({ key: 'k-new', site_id: 'nosite', type: 'public', secret_hash: null }), 'no-site');
    assert.deepEqual(await store.sites.createKey({ key: 'acme-app', site_id: 'acme', type: 'public', secret_hash: null }), { exists: 'acme' });
    const session = sessionRow('dk');
    await store.tokens.writeSessionAndPair(session, pairOn(session), false);
    const revoked = await store.sites.deleteKey('acme-app');
    assert.deepEqual(revoked, { accessTokens: 1, refreshTokens: 1 });
    assert.equal(await store.sites.key('acme-app'), null);
  });
});
