// PostgreSQL only: the hot queries run as named prepared statements on each pooled connection
// (src/store/postgres/open.ts). If the server loses them — a pooler's DISCARD ALL between clients, or a
// migration that changes a table under a cached plan — the requests that use them go on working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/rows.js';
import { BASIC, browserSessionToken, buildTestApp, tokenInfo, tokenRequest } from './support/helpers.js';


/**
 * Runs `statement` on the pooled connection the next query will use, and returns its backend pid.
 * pg's pool hands out the most recently released connection first, which is the one the previous
 * requests (one at a time) prepared their statements on.
 */
async function onNextConnection(db: Kysely<Database>, statement: string): Promise<number> {
  return await db.connection().execute(async (conn) => {
    await sql.raw(statement).execute(conn);
    return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)).rows[0]!.pid;
  });
}

test('prepared statements: requests keep working after DISCARD ALL and after a table changes', async (t) => {
  const { app, db } = await buildTestApp(t, { backend: 'postgres' });
  const { sessionToken } = await browserSessionToken(app);
  const exercise = async (when: string): Promise<void> => {
    const issued = await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC });
    assert.equal(issued.statusCode, 200, `${when}: issuance ${issued.body}`);
    const exchanged = await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken }, { authorization: BASIC });
    assert.equal(exchanged.statusCode, 200, `${when}: exchange ${exchanged.body}`);
    const me = await app.inject({ method: 'GET', url: '/v1/shoppers/me', headers: { authorization: `Bearer ${issued.json().access_token}`, accept: 'application/json' } });
    assert.equal(me.statusCode, 200, `${when}: validation ${me.body}`);
    const info = await tokenInfo(app, exchanged.json().access_token);
    assert.equal(info.statusCode, 200, `${when}: token info ${info.body}`);
  };
  await exercise('first use');
  await exercise('prepared');
  const discarded = await onNextConnection(db, 'discard all');
  await exercise('after DISCARD ALL');
  // The requests did run on the connection that lost its statements (and prepared them again).
  const again = await db.connection().execute(async (conn) => (await sql<{ pid: number; n: number }>`
    select pg_backend_pid() as pid, count(*)::int as n from pg_prepared_statements`.execute(conn)).rows[0]!);
  assert.equal(again.pid, discarded);
  assert.ok(again.n > 0);
  // `select sessions.*` now has another result type: "cached plan must not change result type".
  await sql`alter table sessions add column note text`.execute(db);
  await exercise('after a column was added');
  await sql`alter table sessions drop column note`.execute(db);
  await exercise('after it was dropped');
});

test('prepared statements: a connection that lost them inside a transaction recovers for the next transactions', async (t) => {
  const { app, db } = await buildTestApp(t, { backend: 'postgres' });
  // Refresh grants run in a transaction on registered statements.
  let refresh = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: BASIC })).json().refresh_token as string;
  const rotate = async (): Promise<number> => {
    const res = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refresh }, { authorization: BASIC });
    if (res.statusCode === 200) refresh = res.json().refresh_token as string;
    return res.statusCode;
  };
  assert.equal(await rotate(), 200);
  assert.equal(await rotate(), 200);
  await onNextConnection(db, 'discard all');
  // The first transaction on that connection may fail (its statement was gone); the ones after must not.
  await rotate();
  assert.equal(await rotate(), 200);
  assert.equal(await rotate(), 200);
  assert.equal(await rotate(), 200);
});

