import { Prepared } from '../prepared.js';
import { writePair, type PairRows } from '../token-writes.js';
import type { AccessTokenRow, Executor, RefreshTokenRow, SessionRow } from '../rows.js';
import type { HandleSessionRow } from '../port/sessions.js';
import type { ExchangeParams, RevokedCount, TokenKindValue, TokenStore, TokenWithSession } from '../port/tokens.js';
import { atomically } from './atomically.js';

type ValidationRow = SessionRow & {
  t_hash: string; t_session_id: string; t_site_id: string; t_api_key: string; t_kind: TokenKindValue; t_epoch: number;
  t_chain_id: string; t_created_at: number; t_revoked_reason: string | null;
};

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

/** Tokens on Kysely; the dialect classes override the grants' writes with their fastest forms. */
export class KyselyTokens implements TokenStore {
  constructor(protected readonly db: Executor) {}

  async writePair(pair: PairRows): Promise<void> {
    await writePair(this.db, pair);
  }

  async writePairNow(pair: PairRows): Promise<void> {
    await writePair(this.db, pair);
  }

  async writeSessionAndPair(_session: SessionRow, _pair: PairRows, _idMayBeTaken: boolean): Promise<boolean> {
    return false;
  }

  get exchangesAtOnce(): boolean {
    return false;
  }

  async exchangeHandle(_params: ExchangeParams): Promise<HandleSessionRow | null> {
    throw new Error('exchangeHandle() is one statement only where exchangesAtOnce');
  }

  async findWithSession(hash: string): Promise<TokenWithSession | null> {
    const row = await validateQuery.first(this.db, { hash });
    if (row === undefined) return null;
    const { t_hash, t_session_id, t_site_id, t_api_key, t_kind, t_epoch, t_chain_id, t_created_at, t_revoked_reason, ...session } = row;
    const token: AccessTokenRow = {
      hash: t_hash, session_id: t_session_id, site_id: t_site_id, api_key: t_api_key, kind: t_kind, epoch: t_epoch,
      chain_id: t_chain_id, created_at: t_created_at, revoked_reason: t_revoked_reason
    };
    return { token, session };
  }

  async findAccess(hash: string): Promise<AccessTokenRow | null> {
    return (await this.db.selectFrom('access_tokens').selectAll().where('hash', '=', hash).executeTakeFirst()) ?? null;
  }

  async findRefresh(hash: string): Promise<RefreshTokenRow | null> {
    return (await this.db.selectFrom('refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst()) ?? null;
  }

  async spendRefresh(hash: string, now: number): Promise<void> {
    await this.db.updateTable('refresh_tokens').set({ spent_at: now }).where('hash', '=', hash).where('spent_at', 'is', null).execute();
  }

  async revokeAccess(token: { hash: string; chain_id: string }): Promise<void> {
    await atomically(this.db, async (trx) => {
      await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', token.hash).execute();
      // Through the chain's index: refresh_tokens has none on access_hash (every grant would pay for it).
      await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
        .where('chain_id', '=', token.chain_id).where('access_hash', '=', token.hash).execute();
    });
  }

  async revokeRefresh(hash: string, apiKey: string): Promise<boolean> {
    return await atomically(this.db, async (trx) => {
      const row = await trx.selectFrom('refresh_tokens').select(['access_hash', 'api_key']).where('hash', '=', hash).executeTakeFirst();
      if (row === undefined || row.api_key !== apiKey) return false;
      await trx.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', hash).execute();
      await trx.updateTable('access_tokens').set({ revoked_reason: 'revoked' }).where('hash', '=', row.access_hash).execute();
      return true;
    });
  }

  async revokeChain(chainId: string): Promise<void> {
    await atomically(this.db, async (db) => {
      // Every access token of a chain was issued with a refresh token that names it.
      await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
        .where('hash', 'in', db.selectFrom('refresh_tokens').select('access_hash').where('chain_id', '=', chainId)).execute();
      await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' }).where('chain_id', '=', chainId).execute();
    });
  }

  async revokeShopper(siteId: string, shopperId: string): Promise<RevokedCount> {
    return await atomically(this.db, async (trx) => {
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
}

/** Revokes every token issued to an API key, inside `db` (a transaction). */
export async function revokeKeyTokens(db: Executor, apiKey: string): Promise<RevokedCount> {
  const access = await db.updateTable('access_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  const refresh = await db.updateTable('refresh_tokens').set({ revoked_reason: 'revoked' })
    .where('api_key', '=', apiKey).where('revoked_reason', 'is', null).executeTakeFirst();
  return { accessTokens: Number(access.numUpdatedRows), refreshTokens: Number(refresh.numUpdatedRows) };
}
