import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { kyselyOf, openStore, type DB } from '../src/store/open.js';
import { Prepared, writeAtomically } from '../src/store/prepared.js';

async function fileDatabase(t: test.TestContext): Promise<{ db: DB; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sl-driver-'));
  const store = await openStore({ databaseURL: null, dataDir: dir });
  const db = kyselyOf(store);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await sql`CREATE TABLE probe (id TEXT PRIMARY KEY, n INTEGER NOT NULL)`.execute(db);
  return { db, dir };
}

const insertProbe = new Prepared<{ id: string; n: number }, never>((db, $) =>
  db.insertInto('probe' as never).values({ id: $('id'), n: $('n') } as never) as never);
const countProbes = new Prepared<Record<string, never>, { n: number }>((db) =>
  db.selectFrom('probe' as never).select((eb) => eb.fn.countAll<number>().as('n')) as never);

test('group commit: concurrent transactions land together, a failing one rolls back alone, all are on disk once answered', async (t) => {
  const { db, dir } = await fileDatabase(t);
  await insertProbe.run(db, { id: 'taken', n: 0 });
  const outcomes = await Promise.allSettled(Array.from({ length: 40 }, async (_, i) =>
    await db.transaction().execute(async (trx) => {
      await insertProbe.run(trx, { id: `a${i}`, n: i });
      // Every fifth transaction fails on its second statement, after its first one succeeded.
      await insertProbe.run(trx, { id: i % 5 === 0 ? 'taken' : `b${i}`, n: i });
    })));
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  assert.equal(failed, 8);
  // Another connection sees exactly the answered ones: they were committed before the answer.
  const other = new SQLite(join(dir, 'sessionlink.db'), { readonly: true });
  t.after(() => other.close());
  const ids = new Set((other.prepare('SELECT id FROM probe').all() as { id: string }[]).map((r) => r.id));
  for (let i = 0; i < 40; i++) {
    assert.equal(ids.has(`a${i}`), i % 5 !== 0, `a${i}`);
    assert.equal(ids.has(`b${i}`), i % 5 !== 0, `b${i}`);
  }
  assert.equal(ids.size, 1 + 32 * 2);
});

test('writeAtomically: all or none, on its own and next to transactions, each answered only once on disk', async (t) => {
  const { db, dir } = await fileDatabase(t);
  await insertProbe.run(db, { id: 'taken', n: 0 });
  // First on a free connection (one synchronous savepoint each), then while transactions hold it
  // (the Kysely path); every third one fails on its second row.
  const alone = await Promise.allSettled(Array.from({ length: 20 }, async (_, i) =>
    await writeAtomically(db, [insertProbe.with({ id: `a${i}`, n: i }), insertProbe.with({ id: i % 3 === 0 ? 'taken' : `b${i}`, n: i })])));
  const mixed = await Promise.allSettled(Array.from({ length: 40 }, async (_, i) => {
    if (i % 2 === 0) {
      return await db.transaction().execute(async (trx) => { await insertProbe.run(trx, { id: `t${i}`, n: i }); return [1]; });
    }
    return await writeAtomically(db, [insertProbe.with({ id: `c${i}`, n: i }), insertProbe.with({ id: i % 3 === 0 ? 'taken' : `d${i}`, n: i })]);
  }));
  const other = new SQLite(join(dir, 'sessionlink.db'), { readonly: true });
  t.after(() => other.close());
  const ids = new Set((other.prepare('SELECT id FROM probe').all() as { id: string }[]).map((r) => r.id));
  const check = (outcome: PromiseSettledResult<number[]>, ok: boolean, first: string, second: string): void => {
    assert.equal(outcome.status, ok ? 'fulfilled' : 'rejected', first);
    if (ok) assert.deepEqual((outcome as PromiseFulfilledResult<number[]>).value, [1, 1]);
    assert.equal(ids.has(first), ok, `${first} is written only with ${second}`);
    assert.equal(ids.has(second), ok, second);
  };
  alone.forEach((outcome, i) => {
    check(outcome, i % 3 !== 0, `a${i}`, `b${i}`);
  });
  mixed.forEach((outcome, i) => {
    if (i % 2 === 0) {
      assert.equal(outcome.status, 'fulfilled');
      assert.ok(ids.has(`t${i}`));
    } else {
      check(outcome, i % 3 !== 0, `c${i}`, `d${i}`);
    }
  });
});

test('an autocommit write on the fast path is committed before it resolves', async (t) => {
  const { db, dir } = await fileDatabase(t);
  const other = new SQLite(join(dir, 'sessionlink.db'), { readonly: true });
  t.after(() => other.close());
  await Promise.all(Array.from({ length: 20 }, async (_, i) => await insertProbe.run(db, { id: `x${i}`, n: i })));
  assert.equal((other.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n, 20);
  await assert.rejects(insertProbe.run(db, { id: 'x1', n: 1 }), /UNIQUE/);
  assert.equal((other.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n, 20);
  // A failed write must not leave the next one unacknowledged-but-answered (or the group open).
  await insertProbe.run(db, { id: 'after-failure', n: 0 });
  assert.equal((other.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n, 21);
  await new Promise((r) => setTimeout(r, 20));
  const writer = new SQLite(join(dir, 'sessionlink.db'));
  t.after(() => writer.close());
  writer.pragma('busy_timeout = 0');
  writer.prepare('INSERT INTO probe (id, n) VALUES (?, ?)').run('other-connection', 0);
});

test('long reads run on the background thread and see committed rows; the WAL is checkpointed there', async (t) => {
  const { db, dir } = await fileDatabase(t);
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < 2000; i++) await insertProbe.run(trx, { id: `row-${i}-${'x'.repeat(200)}`, n: i });
  });
  const [row] = await countProbes.background(db, {});
  assert.equal(Number(row!.n), 2000);
  const dbFile = join(dir, 'sessionlink.db');
  const before = statSync(dbFile).size;
  // Automatic checkpoints are off on the serving connection; the thread copies the WAL back.
  const deadline = Date.now() + 5000;
  // A checkpoint may copy the WAL back in more than one pass: wait for all of it (or the deadline).
  while (statSync(dbFile).size <= before + 200 * 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(statSync(dbFile).size > before + 200 * 1000, `the database file grew from ${before} to ${statSync(dbFile).size}`);
});
