import { sql } from 'kysely';
import { sortableId, timedSecret } from '../../crypto.js';
import type { Ctx } from '../context.js';
import { isPostgres, Prepared, writeAtomically, type Write } from '../../store/prepared.js';
import { createSession, handleKey, insertFreshSession, newSessionRow, resolvedOf, secondsLeft, type Executor, type HandleKind, type HandleSessionRow, type NewSessionOptions, type Resolved, type Session } from '../sessions.js';
import type { ApiKey, Site } from '../sites.js';
import { type TokenKind, type IssuedTokens, accessHash, refreshHash } from './hashing.js';

export interface PairOptions {
  chainId?: string;
  accessToken?: string;
  refreshToken?: string;
}

export type PairRow = { hash: string; session_id: string; site_id: string; api_key: string; kind: TokenKind; epoch: number; chain_id: string; created_at: number };
export type RefreshRow = PairRow & { access_hash: string; shopper_id: string | null; expires_at: number };

// Racing refreshes derive the same pair, so a second insert of it is a no-op.
export const insertAccessToken = new Prepared<PairRow, never>((db, $) => db.insertInto('access_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), created_at: $('created_at'), revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()), { insertsOnly: true });

export const insertRefreshToken = new Prepared<RefreshRow, never>((db, $) => db.insertInto('refresh_tokens').values({
  hash: $('hash'), session_id: $('session_id'), site_id: $('site_id'), api_key: $('api_key'), kind: $('kind'),
  epoch: $('epoch'), chain_id: $('chain_id'), access_hash: $('access_hash'), shopper_id: $('shopper_id'),
  created_at: $('created_at'), expires_at: $('expires_at'), spent_at: null, revoked_reason: null
}).onConflict((oc) => oc.column('hash').doNothing()), { insertsOnly: true });

export interface Pair {
  accessToken: string;
  refreshToken: string;
  access: PairRow;
  refresh: RefreshRow;
}

export interface Secrets {
  accessToken: string;
  refreshToken: string;
  chainId: string;
  now: number;
}

/** The values of a new token pair, not yet bound to a session. */
export function newSecrets(ctx: Ctx, options: PairOptions = {}): Secrets {
  const now = ctx.now();
  // ≥ 256 random bits, lower-case hex.
  return {
    accessToken: options.accessToken ?? timedSecret(now, 32),
    refreshToken: options.refreshToken ?? timedSecret(now, 48),
    chainId: options.chainId ?? sortableId(now),
    now
  };
}

/** A new access + refresh token pair for a session and an API key, not yet stored. */
export function newPair(ctx: Ctx, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Pair {
  const { accessToken, refreshToken, chainId, now } = newSecrets(ctx, options);
  const aHash = accessHash(ctx, accessToken);
  const row = {
    session_id: session.id, site_id: site.id, api_key: key.key, kind, epoch: session.epoch, chain_id: chainId, created_at: now
  };
  return {
    accessToken,
    refreshToken,
    access: { ...row, hash: aHash },
    refresh: {
      ...row,
      hash: refreshHash(ctx, refreshToken),
      access_hash: aHash,
      shopper_id: session.shopper_id,
      expires_at: now + site.refresh_ttl_seconds * 1000
    }
  };
}

export function issued(pair: Pair, session: Session, kind: TokenKind): IssuedTokens {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: secondsLeft(session, pair.access.created_at), session, kind };
}

/** The two inserts that store `pair`. */
export function pairWrites(pair: Pair): Write[] {
  return [insertAccessToken.with(pair.access), insertRefreshToken.with(pair.refresh)];
}

/** Stores an access + refresh token pair bound to one session and one API key. */
export async function storePair(ctx: Ctx, db: Executor, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Promise<IssuedTokens> {
  const pair = newPair(ctx, site, key, session, kind, options);
  await writeAtomically(db, pairWrites(pair));
  return issued(pair, session, kind);
}

export async function issueTokens(ctx: Ctx, db: Executor, site: Site, key: ApiKey, session: Session, kind: TokenKind): Promise<IssuedTokens> {
  return await storePair(ctx, db, site, key, session, kind);
}

// PostgreSQL: a grant's rows go in as one statement, which is its own transaction: one round trip
// instead of four or five (BEGIN, two or three INSERTs, COMMIT). SQLite has no INSERT inside WITH;
// there they are one synchronous savepoint of the group commit (writeAtomically).
export type PairParams = { [K in keyof PairRow as `a_${K}`]: PairRow[K] } & { [K in keyof RefreshRow as `r_${K}`]: RefreshRow[K] };

export function pairParams(pair: Pair): PairParams {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pair.access)) params[`a_${k}`] = v;
  for (const [k, v] of Object.entries(pair.refresh)) params[`r_${k}`] = v;
  return params as PairParams;
}

export const insertPairPg = new Prepared<PairParams, never>((_db, $) => sql`
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
export const insertSessionAndPairPg = new Prepared<Session & PairParams, never>((_db, $) => sql`
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

/** A token pair on a session the caller holds, committed. */
export async function issueOnSession(ctx: Ctx, site: Site, key: ApiKey, session: Session, kind: TokenKind): Promise<IssuedTokens> {
  const pair = newPair(ctx, site, key, session, kind);
  if (isPostgres(ctx.db)) {
    await insertPairPg.run(ctx.db, pairParams(pair));
  } else {
    await writeAtomically(ctx.db, pairWrites(pair));
  }
  return issued(pair, session, kind);
}

/** A new session and a token pair on it, committed. */
export async function issueOnNewSession(ctx: Ctx, site: Site, key: ApiKey, options: NewSessionOptions, kind: TokenKind): Promise<IssuedTokens> {
  const postgres = isPostgres(ctx.db);
  if (postgres || options.id === undefined) {
    const session = newSessionRow(ctx, site, options);
    const pair = newPair(ctx, site, key, session, kind);
    if (!postgres) {
      // SQLite, a new random id: the three rows as one savepoint of the group commit.
      await writeAtomically(ctx.db, [insertFreshSession.with(session), ...pairWrites(pair)]);
      return issued(pair, session, kind);
    }
    if (await insertSessionAndPairPg.run(ctx.db, { ...session, ...pairParams(pair) }) === 1) {
      return issued(pair, session, kind);
    }
    // The session's id was taken: createSession below settles whose session it is.
  }
  return await ctx.db.transaction().execute(async (trx) => {
    const session = await createSession(ctx, trx, site, options);
    return await issueTokens(ctx, trx, site, key, session, kind);
  });
}

export type ExchangeParams = {
  handle_hash: string; handle_kind: HandleKind; site_id: string; now: number;
  a_hash: string; r_hash: string; api_key: string; kind: TokenKind; chain_id: string; r_expires_at: number;
};

// Reads the handle's session (as resolveHandle does) and stores the pair only when `resolvedOf`
// will find it live on this site: the same handle kind, the same epoch, not expired, this site.
export const exchangeHandlePg = new Prepared<ExchangeParams, HandleSessionRow>((_db, $) => sql`
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

/**
 * PostgreSQL: resolves a session token and, when its session is live on `site`, stores a token
 * pair on it, in one statement. `issued` is null when the session is not live here.
 */
export async function exchangeSessionTokenPg(ctx: Ctx, site: Site, key: ApiKey, value: string, kind: TokenKind): Promise<{ resolved: Resolved | null; issued: IssuedTokens | null }> {
  const secrets = newSecrets(ctx);
  const aHash = accessHash(ctx, secrets.accessToken);
  const row = await exchangeHandlePg.first(ctx.db, {
    handle_hash: handleKey(ctx, 'session_token', value), handle_kind: 'session_token', site_id: site.id, now: secrets.now,
    a_hash: aHash, r_hash: refreshHash(ctx, secrets.refreshToken), api_key: key.key, kind, chain_id: secrets.chainId,
    r_expires_at: secrets.now + site.refresh_ttl_seconds * 1000
  });
  const resolved = resolvedOf('session_token', row, secrets.now);
  if (resolved?.status !== 'live' || resolved.session.site_id !== site.id) return { resolved, issued: null };
  const session = resolved.session;
  return {
    resolved,
    issued: { accessToken: secrets.accessToken, refreshToken: secrets.refreshToken, expiresIn: secondsLeft(session, secrets.now), session, kind }
  };
}
