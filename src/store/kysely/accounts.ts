import { Prepared } from '../prepared.js';
import type { ApiKeyRow, Executor, NewApiKeyRow, NewShopperRow, NewSiteRow, ProductRow, SessionRow, ShopperRow, SiteRow } from '../rows.js';
import type { ShopperChangesRow, ShopperProfileRow, ShopperStore, SiteStore } from '../port/accounts.js';
import type { RevokedCount } from '../port/tokens.js';
import { atomically } from './atomically.js';
import { revokeKeyTokens } from './tokens.js';

const profileQuery = new Prepared<{ id: string }, ShopperProfileRow>((db, $) =>
  db.selectFrom('shoppers').select(['username', 'external_ref', 'first_name', 'last_name', 'email']).where('id', '=', $('id')));

export class KyselyShoppers implements ShopperStore {
  constructor(protected readonly db: Executor) {}

  async profile(id: string): Promise<ShopperProfileRow | null> {
    return (await profileQuery.first(this.db, { id })) ?? null;
  }

  async byUsername(siteId: string, username: string): Promise<{ id: string; password_hash: string | null } | null> {
    return (await this.db.selectFrom('shoppers').select(['id', 'password_hash'])
      .where('site_id', '=', siteId).where('username', '=', username).executeTakeFirst()) ?? null;
  }

  async byExternalRef(siteId: string, ref: string): Promise<string | null> {
    return (await this.db.selectFrom('shoppers').select('id').where('site_id', '=', siteId).where('external_ref', '=', ref).executeTakeFirst())?.id ?? null;
  }

  async matching(siteId: string, fields: { username?: string; externalRef?: string }): Promise<Array<{ id: string; username: string | null; external_ref: string | null }>> {
    return await this.db.selectFrom('shoppers').select(['id', 'username', 'external_ref']).where('site_id', '=', siteId)
      .where((eb) => {
        const ors = [];
        if (fields.username !== undefined) ors.push(eb('username', '=', fields.username));
        if (fields.externalRef !== undefined) ors.push(eb('external_ref', '=', fields.externalRef));
        return eb.or(ors);
      }).execute();
  }

  async insert(row: NewShopperRow): Promise<void> {
    await this.db.insertInto('shoppers').values(row).execute();
  }

  async insertIfNewExternal(row: NewShopperRow): Promise<void> {
    await this.db.insertInto('shoppers').values(row).onConflict((oc) => oc.columns(['site_id', 'external_ref']).doNothing()).execute();
  }

  async saveProfile(sessionId: string, session: { locale: string; currency: string; ip: string | null }, shopper: { id: string; changes: ShopperChangesRow } | null): Promise<void> {
    await atomically(this.db, async (trx) => {
      await trx.updateTable('sessions').set(session).where('id', '=', sessionId).execute();
      if (shopper !== null && Object.keys(shopper.changes).length > 0) {
        await trx.updateTable('shoppers').set(shopper.changes).where('id', '=', shopper.id).execute();
      }
    });
  }

  async list(siteId: string): Promise<ShopperRow[]> {
    return await this.db.selectFrom('shoppers').selectAll().where('site_id', '=', siteId).orderBy('created_at').orderBy('id').execute();
  }

  async findByRef(siteId: string, ref: string): Promise<Array<{ id: string; username: string | null }>> {
    return await this.db.selectFrom('shoppers').select(['id', 'username']).where('site_id', '=', siteId)
      .where((eb) => eb.or([eb('username', '=', ref), eb('external_ref', '=', ref)])).execute();
  }

  async brief(id: string): Promise<{ id: string; username: string | null; external_ref: string | null } | null> {
    return (await this.db.selectFrom('shoppers').select(['id', 'username', 'external_ref']).where('id', '=', id).executeTakeFirst()) ?? null;
  }
}

function count(rows: { n: number | string | bigint }[]): number {
  return Number(rows[0]?.n ?? 0);
}

export class KyselySites implements SiteStore {
  constructor(protected readonly db: Executor) {}

  async get(id: string): Promise<SiteRow | null> {
    return (await this.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async key(key: string): Promise<ApiKeyRow | null> {
    return (await this.db.selectFrom('api_keys').selectAll().where('key', '=', key).executeTakeFirst()) ?? null;
  }

  async allOrigins(): Promise<Array<string | null>> {
    return (await this.db.selectFrom('sites').select('allowed_origins').execute()).map((r) => r.allowed_origins);
  }

  async list(): Promise<SiteRow[]> {
    return await this.db.selectFrom('sites').selectAll().orderBy('id').execute();
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('sites').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async keysOf(siteId: string): Promise<ApiKeyRow[]> {
    return await this.db.selectFrom('api_keys').selectAll().where('site_id', '=', siteId).orderBy('key').execute();
  }

  async create(row: NewSiteRow): Promise<boolean> {
    return await atomically(this.db, async (trx) => {
      if (await trx.selectFrom('sites').select('id').where('id', '=', row.id).executeTakeFirst() !== undefined) return false;
      await trx.insertInto('sites').values(row).execute();
      return true;
    });
  }

  async createKey(row: NewApiKeyRow): Promise<'created' | 'no-site' | { exists: string }> {
    return await atomically(this.db, async (trx) => {
      if (await trx.selectFrom('sites').select('id').where('id', '=', row.site_id).executeTakeFirst() === undefined) return 'no-site' as const;
      const existing = await trx.selectFrom('api_keys').select('site_id').where('key', '=', row.key).executeTakeFirst();
      if (existing !== undefined) return { exists: existing.site_id };
      await trx.insertInto('api_keys').values(row).execute();
      return 'created' as const;
    });
  }

  async setKeySecret(key: string, secretHash: string | null): Promise<void> {
    await this.db.updateTable('api_keys').set({ secret_hash: secretHash }).where('key', '=', key).execute();
  }

  async deleteKey(key: string): Promise<RevokedCount> {
    return await atomically(this.db, async (trx) => {
      await trx.deleteFrom('api_keys').where('key', '=', key).execute();
      return await revokeKeyTokens(trx, key);
    });
  }

  async createProduct(row: ProductRow): Promise<'created' | 'no-site' | 'exists'> {
    return await atomically(this.db, async (trx) => {
      if (await trx.selectFrom('sites').select('id').where('id', '=', row.site_id).executeTakeFirst() === undefined) return 'no-site' as const;
      const existing = await trx.selectFrom('products').select('id').where('site_id', '=', row.site_id).where('id', '=', row.id).executeTakeFirst();
      if (existing !== undefined) return 'exists' as const;
      await trx.insertInto('products').values(row).execute();
      return 'created' as const;
    });
  }

  async liveSessions(siteId: string, now: number, shopperId: string | null, limit: number): Promise<SessionRow[]> {
    let query = this.db.selectFrom('sessions').selectAll().where('site_id', '=', siteId).where('expires_at', '>', now);
    if (shopperId !== null) query = query.where('shopper_id', '=', shopperId);
    return await query.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  }

  async liveCounts(session: SessionRow, now: number): Promise<{ cookies: number; sessionTokens: number; accessTokens: number; refreshTokens: number }> {
    const db = this.db;
    const handles = await db.selectFrom('handles').select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('session_id', '=', session.id).where('epoch', '=', session.epoch).groupBy('kind').execute();
    return {
      cookies: count(handles.filter((h) => h.kind === 'cookie')),
      sessionTokens: count(handles.filter((h) => h.kind === 'session_token')),
      accessTokens: count(await db.selectFrom('access_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('session_id', '=', session.id).where('epoch', '=', session.epoch).where('revoked_reason', 'is', null).execute()),
      refreshTokens: count(await db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('session_id', '=', session.id).where('epoch', '=', session.epoch).where('revoked_reason', 'is', null)
        .where('spent_at', 'is', null).where('expires_at', '>', now).execute())
    };
  }
}
