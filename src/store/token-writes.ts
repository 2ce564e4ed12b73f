import { Prepared, writeAtomically, type Write } from './prepared.js';
import type { Executor, SessionRow } from './rows.js';
import type { PairRow, PairRows, RefreshRow } from './port/tokens.js';

/**
 * The token grants' writes shared by both dialects: the inserts of a session and a pair, all or
 * none. On SQLite one synchronous savepoint of the open group commit (writeAtomically); the
 * PostgreSQL one-statement forms are in postgres/token-writes.ts. Every INSERT here only adds
 * rows (or does nothing on a conflict).
 */

export type { PairRow, PairRows, RefreshRow } from './port/tokens.js';

function insertSessionRow(db: Executor, $: (name: keyof SessionRow & string) => never) {
  return db.insertInto('sessions').values({
    id: $('id'), site_id: $('site_id'), shopper_id: $('shopper_id'), epoch: $('epoch'), locale: $('locale'),
    currency: $('currency'), ip: $('ip'), cart_id: $('cart_id'), created_at: $('created_at'),
    last_used_at: $('last_used_at'), expires_at: $('expires_at')
  });
}

/** A session whose id may already exist (a derived id): a clash stores nothing. */
export const insertSession = new Prepared<SessionRow, never>((db, $) => insertSessionRow(db, $).onConflict((oc) => oc.column('id').doNothing()));

/** A session with a new random id: a clash is an error (rolling back whatever was written with it). */
const insertFreshSession = new Prepared<SessionRow, never>(insertSessionRow);

// Racing refreshes derive the same pair, so a second insert of it is a no-op.
const insertAccessToken = new Prepared<PairRow, never>((db, $) => db.insertInto('access_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), created_at: $('created_at'), revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()));

const insertRefreshToken = new Prepared<RefreshRow, never>((db, $) => db.insertInto('refresh_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), access_hash: $('access_hash'), shopper_id: $('shopper_id'),
  created_at: $('created_at'), expires_at: $('expires_at'), spent_at: null, revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()));

/** The two inserts that store a pair. */
function pairWrites(pair: PairRows): Write[] {
  return [insertAccessToken.with(pair.access), insertRefreshToken.with(pair.refresh)];
}

/** Stores a pair all or none, inside `db` when it is a transaction. */
export async function writePair(db: Executor, pair: PairRows): Promise<void> {
  await writeAtomically(db, pairWrites(pair));
}

/**
 * SQLite: stores a new session with a random id and a pair on it as one savepoint of the group
 * commit (the id cannot be taken: a clash is an error, rolling back all three rows).
 */
export async function writeFreshSessionAndPair(db: Executor, session: SessionRow, pair: PairRows): Promise<void> {
  await writeAtomically(db, [insertFreshSession.with(session), ...pairWrites(pair)]);
}
