import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedStore } from '../../src/store/cached.js';
import type { Store, TokenWithSession } from '../../src/store/port.js';

// The token cache's rule (src/store/cached.ts), against a Store that counts its reads: an answer
// comes from memory only while no method outside HARMLESS has run, no transaction has rolled back,
// and the store's change source has not moved.

function fakeStore() {
  const state = { reads: 0, generation: 0 };
  const found: TokenWithSession = {
    token: { hash: 'h', session_id: 's', site_id: 'acme', api_key: 'k', kind: 'limited', epoch: 0, chain_id: 'c', created_at: 0, revoked_reason: null },
    session: { id: 's', site_id: 'acme', shopper_id: null, epoch: 0, locale: 'en_US', currency: 'USD', ip: null, client_ip: null, cart_id: 'c', created_at: 0, last_used_at: 0, expires_at: 10_000 }
  };
  const tokens = {
    async findWithSession() { state.reads++; return found; },
    async writePair() {},
    async revokeChain() {},
    // A write method nobody declared: it must invalidate like any other.
    async somethingNew() {}
  };
  const sessions = {
    async touch(_t: unknown, afterRun?: (c: boolean) => void) { afterRun?.(true); return true; },
    async end() { return true; },
    async rekey() { return true; }
  };
  const webhooks = { async writeEvent() { return 1; }, async claimDue() { return []; }, async prune() {} };
  const returns = { async insertCode() {}, async spendCode() { return 's'; } };
  const store = {
    tokens, sessions, webhooks, returns,
    changes: { generation: () => state.generation, settled: () => null },
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> { return await fn(store as unknown as Store); },
    async ready() { return true; },
    async close() {}
  };
  return { state, store: cachedStore(store as unknown as Store) };
}

test('a second lookup is answered from memory; a harmless write keeps it', async () => {
  const { state, store } = fakeStore();
  await store.tokens.findWithSession('h');
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 1);
  await store.tokens.writePair({} as never);
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 1);
});

test('a declared invalidating write, and one nobody declared, each make the next lookup read', async () => {
  const { state, store } = fakeStore();
  await store.tokens.findWithSession('h');
  await store.tokens.revokeChain('c');
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 2);
  await (store.tokens as unknown as { somethingNew(): Promise<void> }).somethingNew();
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 3);
});

test('a moved change source (another connection committed) and a rolled-back transaction each invalidate', async () => {
  const { state, store } = fakeStore();
  await store.tokens.findWithSession('h');
  state.generation++;
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 2);
  await assert.rejects(store.transaction(async () => { throw new Error('rollback'); }));
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 3);
});

test('a touch moves the cached session\'s expiry instead of invalidating', async () => {
  const { state, store } = fakeStore();
  await store.tokens.findWithSession('h');
  await store.sessions.touch({ id: 's', now: 5000, expires_at: 20_000, client_ip: null });
  const after = await store.tokens.findWithSession('h');
  assert.equal(state.reads, 1);
  assert.equal(after?.session.expires_at, 20_000);
});

test('without a change source there is no cache', async () => {
  const { store } = fakeStore();
  const bare = { ...(store as unknown as { inner: Store }).inner, changes: null } as unknown as Store;
  assert.equal(cachedStore(bare), bare);
});

test('webhook and return writes keep the cache; ending or re-keying a session, even inside a transaction, does not', async () => {
  const { state, store } = fakeStore();
  await store.tokens.findWithSession('h');
  await store.webhooks.writeEvent({} as never);
  await store.webhooks.claimDue({} as never);
  await store.webhooks.prune(0);
  await store.returns.insertCode({} as never, 0);
  await store.returns.spendCode('c', 'acme', {} as never, 0);
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 1);
  await store.transaction(async (tx) => {
    await tx.sessions.end('s', 0);
    await tx.webhooks.writeEvent({} as never);
  });
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 2);
  await store.sessions.rekey('s', 0, 'shopper', null);
  await store.tokens.findWithSession('h');
  assert.equal(state.reads, 3);
});
