import { sql } from 'kysely';
import { isPostgres, Prepared, writeAtomically, type Write } from './prepared.js';
import type { Executor, SessionRow } from './rows.js';

/**
 * The token grants' writes, each done its dialect's fastest way. SQLite: one synchronous
 * savepoint of the open group commit (writeAtomically). PostgreSQL: one statement, its own
 * transaction (one round trip instead of BEGIN, two or three INSERTs, COMMIT), run as a named
 * prepared statement. Every INSERT here only adds rows (or does nothing on a conflict), so none
 * moves the token cache's generation (`insertsOnly`).
 */

export type TokenKindValue = 'limited' | 'full';
export type PairRow = { hash: string; session_id: string; site_id: string; api_key: string; kind: TokenKindValue; epoch: number; chain_id: string; created_at: number };
export type RefreshRow = PairRow & { access_hash: string; shopper_id: string | null; expires_at: number };
/** The rows of an access + refresh token pair. */
export interface PairRows { access: PairRow; refresh: RefreshRow }
type HandleKindValue = 'cookie' | 'session_token';
/** A handle's row joined to its session's. */
export type HandleSessionRow = SessionRow & { handle_epoch: number; handle_kind: HandleKindValue };

function insertSessionRow(db: Executor, $: (name: keyof SessionRow & string) => never) {
  return db.insertInto('sessions').values({
    id: $('id'), site_id: $('site_id'), shopper_id: $('shopper_id'), epoch: $('epoch'), locale: $('locale'),
    currency: $('currency'), ip: $('ip'), cart_id: $('cart_id'), created_at: $('created_at'),
    last_used_at: $('last_used_at'), expires_at: $('expires_at')
  });
}

/** A session whose id may already exist (a derived id): a clash stores nothing. */
export const insertSession = new Prepared<SessionRow, never>((db, $) => insertSessionRow(db, $).onConflict((oc) => oc.column('id').doNothing()), { insertsOnly: true });

/** A session with a new random id: a clash is an error (rolling back whatever was written with it). */
const insertFreshSession = new Prepared<SessionRow, never>(insertSessionRow, { insertsOnly: true });

// Racing refreshes derive the same pair, so a second insert of it is a no-op.
const insertAccessToken = new Prepared<PairRow, never>((db, $) => db.insertInto('access_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), created_at: $('created_at'), revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()), { insertsOnly: true });

const insertRefreshToken = new Prepared<RefreshRow, never>((db, $) => db.insertInto('refresh_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), access_hash: $('access_hash'), shopper_id: $('shopper_id'),
  created_at: $('created_at'), expires_at: $('expires_at'), spent_at: null, revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()), { insertsOnly: true });

/** The two inserts that store a pair. */
function pairWrites(pair: PairRows): Write[] {
  return [insertAccessToken.with(pair.access), insertRefreshToken.with(pair.refresh)];
}

// PostgreSQL's one-statement forms (SQLite has no INSERT inside WITH).
type PairParams = { [K in keyof PairRow as `a_${K}`]: PairRow[K] } & { [K in keyof RefreshRow as `r_${K}`]: RefreshRow[K] };

function pairParams(pair: PairRows): PairParams {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pair.access)) params[`a_${k}`] = v;
  for (const [k, v] of Object.entries(pair.refresh)) params[`r_${k}`] = v;
  return params as PairParams;
}

const insertPairPg = new Prepared<PairParams, never>((_db, $) => sql`
  with access as (
    insert into access_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, created_at, revoked_reason)
    values (${$('a_hash')}, ${$('a_session_id')}, ${$('a_site_id')}, ${$('a_api_key')}, ${$('a_kind')}, ${$('a_epoch')},
      ${$('a_chain_id')}, ${$('a_created_at')}, null)
    on conflict (hash) do nothing
  )
  insert into refresh_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, access_hash, shopper_id, created_at,
    expires_at, spent_at, revoked_reason)
  values (${$('r_hash')}, ${$('r_session_id')}, ${$('r_site_id')}, ${$('r_api_key')}, ${$('r_kind')}, ${$('r_epoch')},
    ${$('r_chain_id')}, ${$('r_access_hash')}, ${$('r_shopper_id')}, ${$('r_created_at')}, ${$('r_expires_at')}, null, null)
  on conflict (hash) do nothing`);

// The tokens are written only when the session is (`from s`): should its id be taken, nothing is.
const insertSessionAndPairPg = new Prepared<SessionRow & PairParams, never>((_db, $) => sql`
  with s as (
    insert into sessions (id, site_id, shopper_id, epoch, locale, currency, ip, cart_id, created_at, last_used_at, expires_at)
    values (${$('id')}, ${$('site_id')}, ${$('shopper_id')}, ${$('epoch')}, ${$('locale')}, ${$('currency')}, ${$('ip')},
      ${$('cart_id')}, ${$('created_at')}, ${$('last_used_at')}, ${$('expires_at')})
    on conflict (id) do nothing
    returning id
  ), access as (
    insert into access_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, created_at, revoked_reason)
    select ${$('a_hash')}, s.id, ${$('a_site_id')}, ${$('a_api_key')}, ${$('a_kind')}, ${$('a_epoch')}, ${$('a_chain_id')},
      ${$('a_created_at')}, null
    from s
    on conflict (hash) do nothing
  )
  insert into refresh_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, access_hash, shopper_id, created_at,
    expires_at, spent_at, revoked_reason)
  select ${$('r_hash')}, s.id, ${$('r_site_id')}, ${$('r_api_key')}, ${$('r_kind')}, ${$('r_epoch')}, ${$('r_chain_id')},
    ${$('r_access_hash')}, ${$('r_shopper_id')}, ${$('r_created_at')}, ${$('r_expires_at')}, null, null
  from s
  on conflict (hash) do nothing`);

export type ExchangeParams = {
  handle_hash: string; handle_kind: HandleKindValue; site_id: string; now: number;
  a_hash: string; r_hash: string; api_key: string; kind: TokenKindValue; chain_id: string; r_expires_at: number;
};

// Reads the handle's session (as resolveHandle does) and stores the pair only when `resolvedOf`
// will find it live on this site: the same handle kind, the same epoch, not expired, this site.
const exchangeHandlePg = new Prepared<ExchangeParams, HandleSessionRow>((_db, $) => sql`
  with found as (
    select sessions.*, handles.epoch as handle_epoch, handles.kind as handle_kind
    from handles inner join sessions on sessions.id = handles.session_id
    where handles.hash = ${$('handle_hash')}
  ), live as (
    select * from found
    where handle_kind = ${$('handle_kind')} and handle_epoch = epoch and expires_at > ${$('now')} and site_id = ${$('site_id')}
  ), access as (
    insert into access_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, created_at, revoked_reason)
    select ${$('a_hash')}, id, site_id, ${$('api_key')}, ${$('kind')}, epoch, ${$('chain_id')}, ${$('now')}, null
    from live
    on conflict (hash) do nothing
  ), refresh as (
    insert into refresh_tokens (hash, session_id, site_id, api_key, kind, epoch, chain_id, access_hash, shopper_id, created_at,
      expires_at, spent_at, revoked_reason)
    select ${$('r_hash')}, id, site_id, ${$('api_key')}, ${$('kind')}, epoch, ${$('chain_id')}, ${$('a_hash')}, shopper_id,
      ${$('now')}, ${$('r_expires_at')}, null, null
    from live
    on conflict (hash) do nothing
  )
  select * from found`);

/** Stores a pair all or none, inside `db` when it is a transaction. */
export async function writePair(db: Executor, pair: PairRows): Promise<void> {
  await writeAtomically(db, pairWrites(pair));
}

/** Stores a pair on a session the caller holds, committed: the one-statement form on PostgreSQL. */
export async function writePairNow(db: Executor, pair: PairRows): Promise<void> {
  if (isPostgres(db)) {
    await insertPairPg.run(db, pairParams(pair));
  } else {
    await writeAtomically(db, pairWrites(pair));
  }
}

/**
 * Stores a new session and a pair on it, committed, all or none. False when nothing was stored:
 * the session's id was taken (PostgreSQL), or `idMayBeTaken` on SQLite, where the caller settles
 * whose session it is in a transaction instead.
 */
export async function writeSessionAndPair(db: Executor, session: SessionRow, pair: PairRows, idMayBeTaken: boolean): Promise<boolean> {
  if (isPostgres(db)) {
    return await insertSessionAndPairPg.run(db, { ...session, ...pairParams(pair) }) === 1;
  }
  if (idMayBeTaken) return false;
  // SQLite, a new random id: the three rows as one savepoint of the group commit.
  await writeAtomically(db, [insertFreshSession.with(session), ...pairWrites(pair)]);
  return true;
}

/** True where exchangeHandleAtOnce() is one statement (PostgreSQL); SQLite reads, then writes. */
export function canExchangeAtOnce(db: Executor): boolean {
  return isPostgres(db);
}

/**
 * Resolves a handle and, when its session is live on the site, stores a pair on it, in one
 * statement (only where canExchangeAtOnce()). Answers the handle's row joined to its session,
 * undefined when the handle is unknown.
 */
export async function exchangeHandleAtOnce(db: Executor, params: ExchangeParams): Promise<HandleSessionRow | undefined> {
  return await exchangeHandlePg.first(db, params);
}
