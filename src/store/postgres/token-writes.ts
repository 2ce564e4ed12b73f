import { sql } from 'kysely';
import { Prepared } from '../prepared.js';
import type { SessionRow } from '../rows.js';
import type { HandleSessionRow } from '../port/sessions.js';
import type { ExchangeParams, PairRow, PairRows, RefreshRow } from '../port/tokens.js';
import { KyselyTokens } from '../kysely/tokens.js';

/**
 * PostgreSQL's grants: one statement each, its own transaction (one round trip instead of BEGIN,
 * two or three INSERTs, COMMIT), run as a named prepared statement. Inside a transaction the
 * shared forms (KyselyTokens) run instead, on its connection.
 */

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

export class PostgresTokens extends KyselyTokens {
  override async writePairNow(pair: PairRows): Promise<void> {
    if (this.db.isTransaction) return await super.writePair(pair);
    await insertPairPg.run(this.db, pairParams(pair));
  }

  override async writeSessionAndPair(session: SessionRow, pair: PairRows, _idMayBeTaken: boolean): Promise<boolean> {
    return await insertSessionAndPairPg.run(this.db, { ...session, ...pairParams(pair) }) === 1;
  }

  override get exchangesAtOnce(): boolean {
    return true;
  }

  override async exchangeHandle(params: ExchangeParams): Promise<HandleSessionRow | null> {
    return (await exchangeHandlePg.first(this.db, params)) ?? null;
  }
}
