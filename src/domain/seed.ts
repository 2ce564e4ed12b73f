import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Insertable } from 'kysely';
import type { ApiKeyTable, ShopperTable, SiteTable } from '../db/schema.js';
import { hashPassword, hashSecret, randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import { clearSiteCache } from './sites.js';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });

export const SeedSchema = Type.Object({
  sites: Type.Array(Type.Object({
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    locale: Type.Optional(Type.String({ pattern: '^[a-z]{2}_[A-Z]{2}$' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    session: Type.Optional(Type.Object({
      ttlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
      idleSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
      refreshTtlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
      refreshGraceSeconds: Type.Optional(Type.Integer({ minimum: 0 }))
    })),
    allowedOrigins: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    sessionTokenExchange: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('confidential')])),
    limits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    apiKeys: Type.Optional(Type.Array(Type.Object({
      key: Id,
      type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
      secret: Type.Optional(Type.String({ minLength: 1 }))
    }))),
    shoppers: Type.Optional(Type.Array(Type.Object({
      username: Type.String({ minLength: 1, maxLength: 200 }),
      password: Type.String({ minLength: 1 }),
      firstName: Type.Optional(Type.String()),
      lastName: Type.Optional(Type.String()),
      email: Type.Optional(Type.String())
    }))),
    products: Type.Optional(Type.Array(Type.Object({
      id: Id,
      name: Type.String({ minLength: 1 }),
      price: Type.String({ pattern: '^[0-9]+(\\.[0-9]{1,2})?$' })
    })))
  }))
});
export type Seed = Static<typeof SeedSchema>;

/** The demo site loaded when no seed file is given (docs/seed-file.md describes the format). */
export const DEMO_SEED: Seed = {
  sites: [{
    id: 'acme', name: 'Acme Store', locale: 'en_US', currency: 'USD',
    session: { ttlSeconds: 86400, idleSeconds: 0, refreshTtlSeconds: 31536000, refreshGraceSeconds: 30 },
    allowedOrigins: null,
    sessionTokenExchange: 'any',
    apiKeys: [
      { key: 'acme-public', type: 'public' },
      { key: 'acme-app', type: 'confidential', secret: 'app-secret-123' }
    ],
    shoppers: [{ username: 'jane', password: 'Correct-Horse-9', firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' }],
    products: [
      { id: '1001', name: 'Widget', price: '19.99' },
      { id: '1002', name: 'Gadget', price: '34.50' },
      { id: '1003', name: 'Gizmo', price: '7.25' }
    ]
  }]
};

export function readSeedFile(file: string): Seed {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Value.Check(SeedSchema, parsed)) {
    const first = Value.Errors(SeedSchema, parsed).First();
    throw new Error(`seed file ${file} is invalid at ${first?.path ?? '/'}: ${first?.message ?? 'bad shape'}`);
  }
  return parsed;
}

export type SiteSeed = Seed['sites'][number];
export type ApiKeySeed = NonNullable<SiteSeed['apiKeys']>[number];
export type ShopperSeed = NonNullable<SiteSeed['shoppers']>[number];
export type ProductSeed = NonNullable<SiteSeed['products']>[number];

/** The schema of one site, key, shopper or product, so the admin command checks what a seed file would. */
export const SiteSeedSchema = SeedSchema.properties.sites.items;
export const ApiKeySeedSchema = SiteSeedSchema.properties.apiKeys.items;
export const ShopperSeedSchema = SiteSeedSchema.properties.shoppers.items;
export const ProductSeedSchema = SiteSeedSchema.properties.products.items;

/** The `sites` row of a seeded site, defaults filled in. */
export function siteRowOf(site: SiteSeed): Insertable<SiteTable> {
  return {
    id: site.id,
    name: site.name,
    locale: site.locale ?? 'en_US',
    currency: site.currency ?? 'USD',
    ttl_seconds: site.session?.ttlSeconds ?? 86400,
    idle_seconds: site.session?.idleSeconds ?? 0,
    refresh_ttl_seconds: site.session?.refreshTtlSeconds ?? 31536000,
    refresh_grace_seconds: site.session?.refreshGraceSeconds ?? 30,
    allowed_origins: site.allowedOrigins ? JSON.stringify(site.allowedOrigins) : null,
    session_token_exchange: site.sessionTokenExchange ?? 'any',
    limits: site.limits ? JSON.stringify(site.limits) : null
  };
}

/** The `api_keys` row of a key: its secret only as a hash. */
export function apiKeyRowOf(ctx: Ctx, siteId: string, key: ApiKeySeed): Insertable<ApiKeyTable> {
  if (key.type === 'confidential' && key.secret === undefined) {
    throw new Error(`seed: confidential key ${key.key} needs a secret`);
  }
  return {
    key: key.key,
    site_id: siteId,
    type: key.type,
    secret_hash: key.secret === undefined ? null : hashSecret(ctx.secret, 'api-key-secret', key.secret)
  };
}

/** The `shoppers` row of a new registered shopper; the password arrives already hashed. */
export function shopperRowOf(siteId: string, shopper: ShopperSeed, passwordHash: string, now: number): Insertable<ShopperTable> {
  return {
    id: randomHex(16),
    site_id: siteId,
    username: shopper.username,
    password_hash: passwordHash,
    external_ref: null,
    first_name: shopper.firstName ?? '',
    last_name: shopper.lastName ?? '',
    email: shopper.email ?? '',
    locale: null,
    currency: null,
    created_at: now
  };
}

/**
 * Loads a seed idempotently: sites, keys and products are upserted; a shopper's password is
 * set only when the shopper is new (an operator's later change is not undone by a restart).
 */
export async function loadSeed(ctx: Ctx, seed: Seed): Promise<void> {
  const now = ctx.now();
  const passwordHashes = new Map<string, string>();
  for (const site of seed.sites) {
    for (const shopper of site.shoppers ?? []) {
      passwordHashes.set(`${site.id}\0${shopper.username}`, await hashPassword(shopper.password));
    }
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (const site of seed.sites) {
      const row = siteRowOf(site);
      const { id: _id, ...update } = row;
      await trx.insertInto('sites').values(row).onConflict((oc) => oc.column('id').doUpdateSet(update)).execute();
      for (const key of site.apiKeys ?? []) {
        const keyRow = apiKeyRowOf(ctx, site.id, key);
        const { key: _k, ...keyUpdate } = keyRow;
        await trx.insertInto('api_keys').values(keyRow).onConflict((oc) => oc.column('key').doUpdateSet(keyUpdate)).execute();
      }
      for (const product of site.products ?? []) {
        await trx.insertInto('products').values({ site_id: site.id, ...product })
          .onConflict((oc) => oc.columns(['site_id', 'id']).doUpdateSet({ name: product.name, price: product.price }))
          .execute();
      }
      for (const shopper of site.shoppers ?? []) {
        const shopperRow = shopperRowOf(site.id, shopper, passwordHashes.get(`${site.id}\0${shopper.username}`) as string, now);
        await trx.insertInto('shoppers').values(shopperRow).onConflict((oc) => oc.columns(['site_id', 'username']).doUpdateSet({
          first_name: shopperRow.first_name,
          last_name: shopperRow.last_name,
          email: shopperRow.email
        })).execute();
      }
    }
  });
  clearSiteCache(ctx);
}
