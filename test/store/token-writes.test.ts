import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, createPgDatabase } from '../support/helpers.js';
import { countStored } from '../support/reader.js';
import { canExchangeAtOnce, exchangeHandleAtOnce, writePair, writePairNow, writeSessionAndPair, type PairRows } from '../../src/store/token-writes.js';
import type { SessionRow } from '../../src/store/rows.js';
import type { TestContext } from 'node:test';

// The guarantees of src/store/token-writes.ts, on SQLite and on PostgreSQL: a grant's rows are
// stored all or none, a taken session id stores nothing, racing writes of one pair store it once.

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
let serial = 0;

function sessionRow(id: string): SessionRow {
  return {
    id, site_id: 'acme', shopper_id: null, epoch: 0, locale: 'en_US', currency: 'USD', ip: null, client_ip: null,
    cart_id: `cart-${id}`, created_at: NOW, last_used_at: NOW, expires_at: NOW + 3600_000
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

async function stored(db: Parameters<typeof countStored>[0]): Promise<[number, number, number]> {
  return [await countStored(db, 'sessions'), await countStored(db, 'access_tokens'), await countStored(db, 'refresh_tokens')];
}

for (const backend of ['sqlite', 'postgres'] as const) {
  async function open(t: TestContext) {
    if (backend === 'sqlite') return await buildTestApp(t);
    const pg = await createPgDatabase();
    t.after(async () => await pg.drop());
    return await buildTestApp(t, { config: { databaseURL: pg.url } });
  }

  test(`${backend}: writeSessionAndPair stores the session and both tokens; a taken id stores nothing`, async (t) => {
    const { db } = await open(t);
    const before = await stored(db);
    const session = sessionRow(`s-${backend}-1`);
    assert.equal(await writeSessionAndPair(db, session, pairOn(session), false), true);
    assert.deepEqual(await stored(db), [before[0] + 1, before[1] + 1, before[2] + 1]);
    // The same id again (a derived id someone else took): false, and not one row more.
    assert.equal(await writeSessionAndPair(db, session, pairOn(session), true), false);
    assert.deepEqual(await stored(db), [before[0] + 1, before[1] + 1, before[2] + 1]);
  });

  test(`${backend}: writePair and writePairNow store both tokens; racing writes of one pair store it once`, async (t) => {
    const { db } = await open(t);
    const session = sessionRow(`s-${backend}-2`);
    assert.equal(await writeSessionAndPair(db, session, pairOn(session), false), true);
    const before = await stored(db);
    await writePairNow(db, pairOn(session));
    await writePair(db, pairOn(session));
    assert.deepEqual(await stored(db), [before[0], before[1] + 2, before[2] + 2]);
    const same = pairOn(session);
    await Promise.all([writePairNow(db, same), writePairNow(db, same), writePair(db, same)]);
    assert.deepEqual(await stored(db), [before[0], before[1] + 3, before[2] + 3]);
  });

  test(`${backend}: the one-statement exchange exists exactly on PostgreSQL and stores nothing for an unknown handle`, async (t) => {
    const { db } = await open(t);
    assert.equal(canExchangeAtOnce(db), backend === 'postgres');
    if (!canExchangeAtOnce(db)) return;
    const before = await stored(db);
    const row = await exchangeHandleAtOnce(db, {
      handle_hash: 'no-such-handle', handle_kind: 'session_token', site_id: 'acme', now: NOW,
      a_hash: 'a-x', r_hash: 'r-x', api_key: 'acme-app', kind: 'limited', chain_id: 'chain-x', r_expires_at: NOW + 1000
    });
    assert.equal(row, undefined);
    assert.deepEqual(await stored(db), before);
  });
}
