import { sql, type Selectable } from 'kysely';
import type { AccessTokenTable, RefreshTokenTable } from '../store/rows.js';
import { deriveHex, prefixedKey, sortableId, timedSecret, timePrefix, TIME_PREFIX_LENGTH } from '../crypto.js';
import { InvalidGrant, InvalidToken, TOKEN_REASONS } from '../errors.js';
import type { Ctx } from './context.js';
import { isPostgres, Prepared, writeAtomically, type Write } from '../store/prepared.js';
import { createSession, getSession, handleKey, insertFreshSession, newSessionRow, resolvedOf, secondsLeft, type Executor, type HandleKind, type HandleSessionRow, type NewSessionOptions, type Resolved, type Session } from './sessions.js';
import type { ApiKey, Site } from './sites.js';
import { attachShopperCart } from './carts.js';
import { tokenCacheOf } from './token-cache.js';

export type AccessTokenRow = Selectable<AccessTokenTable>;
export type TokenKind = 'limited' | 'full';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  session: Session;
  kind: TokenKind;
}

export interface ValidToken {
  token: AccessTokenRow;
  session: Session;
}

// Tokens are `timedSecret`s: 12 hex characters of issue time, then 256 (access) or 384
// (refresh) random bits; stored under `prefixedKey`, so a grant appends to the token indexes.
function accessHash(ctx: Ctx, raw: string): string {
  return prefixedKey(ctx.secret, 'access_token', raw);
}

function refreshHash(ctx: Ctx, raw: string): string {
  return prefixedKey(ctx.secret, 'refresh_token', raw);
}

interface PairOptions {
  chainId?: string;
  accessToken?: string;
  refreshToken?: string;
}

type PairRow = { hash: string; session_id: string; site_id: string; api_key: string; kind: TokenKind; epoch: number; chain_id: string; created_at: number };
type RefreshRow = PairRow & { access_hash: string; shopper_id: string | null; expires_at: number };

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

interface Pair {
  accessToken: string;
  refreshToken: string;
  access: PairRow;
  refresh: RefreshRow;
}

interface Secrets {
  accessToken: string;
  refreshToken: string;
  chainId: string;
  now: number;
}

/** The values of a new token pair, not yet bound to a session. */
function newSecrets(ctx: Ctx, options: PairOptions = {}): Secrets {
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
function newPair(ctx: Ctx, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Pair {
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

function issued(pair: Pair, session: Session, kind: TokenKind): IssuedTokens {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: secondsLeft(session, pair.access.created_at), session, kind };
}

/** The two inserts that store `pair`. */
function pairWrites(pair: Pair): Write[] {
  return [insertAccessToken.with(pair.access), insertRefreshToken.with(pair.refresh)];
}

/** Stores an access + refresh token pair bound to one session and one API key. */
async function storePair(ctx: Ctx, db: Executor, site: Site, key: ApiKey, session: Session, kind: TokenKind, options: PairOptions = {}): Promise<IssuedTokens> {
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
type PairParams = { [K in keyof PairRow as `a_${K}`]: PairRow[K] } & { [K in keyof RefreshRow as `r_${K}`]: RefreshRow[K] };

function pairParams(pair: Pair): PairParams {
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
const insertSessionAndPairPg = new Prepared<Session & PairParams, never>((_db, $) => sql`
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

type ExchangeParams = {
  handle_hash: string; handle_kind: HandleKind; site_id: string; now: number;
  a_hash: string; r_hash: string; api_key: string; kind: TokenKind; chain_id: string; r_expires_at: number;
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

const validateQuery = new Prepared<{ hash: string }, ValidationRow>((db, $) => db.selectFrom('access_tokens')
  .innerJoin('sessions', 'sessions.id', 'access_tokens.session_id')
  .selectAll('sessions')
  .select([
    'access_tokens.hash as t_hash', 'access_tokens.session_id as t_session_id', 'access_tokens.site_id as t_site_id',
    'access_tokens.api_key as t_api_key', 'access_tokens.kind as t_kind', 'access_tokens.epoch as t_epoch',
    'access_tokens.chain_id as t_chain_id', 'access_tokens.created_at as t_created_at',
    'access_tokens.revoked_reason as t_revoked_reason'
  ])
  .where('access_tokens.hash', '=', $('hash')));

type ValidationRow = Session & {
  t_hash: string; t_session_id: string; t_site_id: string; t_api_key: string; t_kind: TokenKind; t_epoch: number;
  t_chain_id: string; t_created_at: number; t_revoked_reason: string | null;
};

/**
 * Checks an access token. Throws InvalidToken with the reason the token died (the 401's description:
 * every 401 says why). One indexed join, no write.
 */
export async function validateAccessToken(ctx: Ctx, raw: string): Promise<ValidToken> {
  if (raw.length === 0 || raw.length > 512) {
    throw new InvalidToken('unknown');
  }
  const cache = tokenCacheOf(ctx.db);
  let generation = 0;
  let key = '';
  if (cache !== null) {
    // Before the read: a write after this point makes what the read finds stale at once.
    generation = cache.generation();
    key = cache.key(raw);
    const hit = cache.get(key, generation);
    if (hit !== null) {
      // Nothing revoked, re-keyed or ended it since it was read; only the clock moved (and touches,
      // already applied). What it could have seen is committed before it is told.
      await cache.settled();
      if (hit.session.expires_at <= ctx.now()) {
        throw new InvalidToken('expired');
      }
      return hit;
    }
  }
  const row = await validateQuery.first(ctx.db, { hash: accessHash(ctx, raw) });
  if (row === undefined) {
    throw new InvalidToken('unknown');
  }
  const { t_hash, t_session_id, t_site_id, t_api_key, t_kind, t_epoch, t_chain_id, t_created_at, t_revoked_reason, ...session } = row;
  const token: AccessTokenRow = {
    hash: t_hash, session_id: t_session_id, site_id: t_site_id, api_key: t_api_key, kind: t_kind, epoch: t_epoch,
    chain_id: t_chain_id, created_at: t_created_at, revoked_reason: t_revoked_reason
  };
  if (token.revoked_reason !== null) {
    throw new InvalidToken('revoked');
  }
  if (token.epoch !== session.epoch) {
    throw new InvalidToken('rekeyed');
  }
  if (session.expires_at <= ctx.now()) {
    throw new InvalidToken('expired');
  }
  return cache === null ? { token, session } : cache.put(key, { token, session }, generation);
}

/** Revokes an access token and the refresh token issued with it; the session lives on. */
export async function revokeAccessToken(ctx: Ctx, token: AccessTokenRow): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', token.hash).execute();
    // Through the chain's index: refresh_tokens has none on access_hash (every grant would pay for it).
    await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
      .where('chain_id', '=', token.chain_id).where('access_hash', '=', token.hash).execute();
  });
}

/** Revokes a refresh token by its raw value and the access token issued with it (RFC 7009). */
export async function revokeRefreshToken(ctx: Ctx, raw: string, apiKey: string): Promise<boolean> {
  return await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('refresh_tokens').select(['access_hash', 'api_key'])
      .where('hash', '=', refreshHash(ctx, raw)).executeTakeFirst();
    if (row === undefined || row.api_key !== apiKey) return false;
    await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', refreshHash(ctx, raw)).execute();
    await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', row.access_hash).execute();
    return true;
  });
}

async function revokeChain(db: Executor, chainId: string): Promise<void> {
  // Every access token of a chain was issued with a refresh token that names it.
  await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
    .where('hash', 'in', db.selectFrom('refresh_tokens').select('access_hash').where('chain_id', '=', chainId)).execute();
  await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('chain_id', '=', chainId).execute();
}

/**
 * The refresh grant. The new pair is derived from the spent token and the
 * server secret, so a replay within the grace window — or a racing parallel use, on any
 * process — computes the very same pair and the inserts collapse into one.
 */
export async function refreshTokens(ctx: Ctx, site: Site, key: ApiKey, raw: string, admit?: (sessionId: string) => void): Promise<IssuedTokens> {
  const now = ctx.now();
  const hash = refreshHash(ctx, raw);
  // Derived, so every replay computes the same pair; time-prefixed like any token (with the
  // spent token's time: the successor must not depend on when the replay arrives).
  const prefix = /^[0-9a-f]{12}/.test(raw) ? raw.slice(0, TIME_PREFIX_LENGTH) : timePrefix(0);
  const successor = {
    accessToken: prefix + deriveHex(ctx.secret, 'refresh-successor-access', raw),
    refreshToken: prefix + deriveHex(ctx.secret, 'refresh-successor-refresh', raw) + deriveHex(ctx.secret, 'refresh-successor-refresh-2', raw).slice(0, 32)
  };
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (row === undefined || row.site_id !== site.id) {
      throw new InvalidGrant('Unknown refresh token');
    }
    if (row.api_key !== key.key) {
      throw new InvalidGrant('The refresh token was issued to another client');
    }
    if (row.revoked_reason !== null) {
      throw new InvalidGrant(TOKEN_REASONS.revoked);
    }
    if (row.expires_at <= now) {
      throw new InvalidGrant('Refresh token expired');
    }
    if (row.spent_at !== null && now - row.spent_at > site.refresh_grace_seconds * 1000) {
      // Reuse detection: a spent token came back after its grace window. Someone holds a copy.
      await revokeChain(trx, row.chain_id);
      return { reused: true as const };
    }
    // The per-session refresh budget (after reuse detection, which must always fire): over it,
    // the transaction stores and spends nothing.
    admit?.(row.session_id);
    let session = await getSession(trx, row.session_id);
    if (session !== null && session.epoch !== row.epoch) {
      throw new InvalidGrant(TOKEN_REASONS.rekeyed);
    }
    if (session === null || session.expires_at <= now) {
      // Only a full token continues a signed-in shopper on a new session. A limited one, even
      // if it was issued on the shopper's session, never had the shopper's authority to renew.
      if (row.shopper_id === null || row.kind !== 'full') {
        throw new InvalidGrant(TOKEN_REASONS.expired);
      }
      // A registered/external shopper's session ended: continue on a new one.
      session = await createSession(ctx, trx, site, {
        shopperId: row.shopper_id,
        id: deriveHex(ctx.secret, 'refresh-successor-session', raw).slice(0, 32)
      });
      await attachShopperCart(ctx, trx, session, row.shopper_id);
    }
    const issued = await storePair(ctx, trx, site, key, session, row.kind, { ...successor, chainId: row.chain_id });
    await trx.updateTable('refresh_tokens').set({ spent_at: now }).where('hash', '=', hash).where('spent_at', 'is', null).execute();
    return { reused: false as const, issued };
  });
  if (outcome.reused) {
    throw new InvalidGrant('Refresh token already used; every token of this session chain is revoked');
  }
  // The successor may have been revoked since (logout, reuse detection): a replay must not revive it.
  const check = await ctx.db.selectFrom('access_tokens').select(['revoked_reason', 'session_id'])
    .where('hash', '=', accessHash(ctx, successor.accessToken)).executeTakeFirst();
  if (check === undefined || check.revoked_reason !== null) {
    throw new InvalidGrant(TOKEN_REASONS.revoked);
  }
  const session = check.session_id === outcome.issued.session.id ? outcome.issued.session : await getSession(ctx.db, check.session_id);
  if (session === null) {
    throw new InvalidGrant(TOKEN_REASONS.expired);
  }
  return { ...outcome.issued, session, expiresIn: secondsLeft(session, ctx.now()) };
}

/** Looks up which API key a live access token belongs to (Bearer client authentication). */
export async function keyOfAccessToken(ctx: Ctx, raw: string): Promise<string | null> {
  try {
    const { token } = await validateAccessToken(ctx, raw);
    return token.api_key;
  } catch {
    return null;
  }
}

export interface LiveRefreshToken {
  row: Selectable<RefreshTokenTable>;
  /** The session the token still reaches; null when it ended (a shopper's token lives on). */
  session: Session | null;
}

/**
 * A refresh token that the refresh grant would still accept (RFC 7662 introspection), or null:
 * unknown, revoked, expired, spent, re-keyed, or a limited one whose session ended.
 */
export async function liveRefreshToken(ctx: Ctx, raw: string): Promise<LiveRefreshToken | null> {
  if (raw.length === 0 || raw.length > 512) return null;
  const now = ctx.now();
  const row = await ctx.db.selectFrom('refresh_tokens').selectAll().where('hash', '=', refreshHash(ctx, raw)).executeTakeFirst();
  if (row === undefined || row.revoked_reason !== null || row.spent_at !== null || row.expires_at <= now) return null;
  const session = await getSession(ctx.db, row.session_id);
  if (session !== null && session.epoch !== row.epoch) return null;
  if (session === null || session.expires_at <= now) {
    return row.shopper_id === null || row.kind !== 'full' ? null : { row, session: null };
  }
  return { row, session };
}

/** An access token's row in any state (live, expired, revoked, re-keyed), or null when unknown. */
export async function findAccessToken(ctx: Ctx, raw: string): Promise<AccessTokenRow | null> {
  if (raw.length === 0 || raw.length > 512) return null;
  return (await ctx.db.selectFrom('access_tokens').selectAll().where('hash', '=', accessHash(ctx, raw)).executeTakeFirst()) ?? null;
}

export interface RevokedCount {
  accessTokens: number;
  refreshTokens: number;
}

/**
 * Revokes every access and refresh token of a shopper on a site (the admin command): the tokens
 * on any of the shopper's sessions and every refresh token issued to the shopper. Validation
 * reads `revoked_reason` on each call, so the next use answers "Token revoked".
 */
export async function revokeShopperTokens(ctx: Ctx, siteId: string, shopperId: string): Promise<RevokedCount> {
  return await ctx.db.transaction().execute(async (trx) => {
    const sessions = trx.selectFrom('sessions').select('id').where('site_id', '=', siteId).where('shopper_id', '=', shopperId);
    const access = await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
      .where('session_id', 'in', sessions).where('revoked_reason', 'is', null).executeTakeFirst();
    const refresh = await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
      .where('site_id', '=', siteId)
      .where((eb) => eb.or([eb('shopper_id', '=', shopperId), eb('session_id', 'in', sessions)]))
      .where('revoked_reason', 'is', null).executeTakeFirst();
    return { accessTokens: Number(access.numUpdatedRows), refreshTokens: Number(refresh.numUpdatedRows) };
  });
}

/** Revokes every token issued to an API key (its deletion by the admin command). */
export async function revokeKeyTokens(db: Executor, apiKey: string): Promise<RevokedCount> {
  const access = await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  const refresh = await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  return { accessTokens: Number(access.numUpdatedRows), refreshTokens: Number(refresh.numUpdatedRows) };
}
