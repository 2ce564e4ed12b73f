import { hashPassword, randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import { viewCart, type CartView } from './cart.js';
import {
  apiKeyRowOf, shopperRowOf, siteRowOf, type ApiKeySeed, type ProductSeed, type ShopperSeed, type SiteSeed
} from './seed.js';
import { getSession, secondsLeft } from './sessions.js';
import { allowedOriginsOf, clearSiteCache, type Site } from './sites.js';
import { revokeKeyTokens, revokeShopperTokens, type RevokedCount } from './tokens.js';

/**
 * What the admin command line does to the store, without any printing: create and list sites,
 * keys, shoppers and products, look into sessions. Rows are built by the seed loader's helpers,
 * so a site made here is the site a seed file would make.
 */

/** A refusal the operator can act on (unknown id, already exists); nothing was changed. */
export class AdminError extends Error {}

/** Entropy of a generated confidential key secret: 256 bits, lower-case hex. */
export const KEY_SECRET_BYTES = 32;

export interface SiteInfo {
  id: string;
  name: string;
  locale: string;
  currency: string;
  ttlSeconds: number;
  idleSeconds: number;
  refreshTtlSeconds: number;
  refreshGraceSeconds: number;
  allowedOrigins: string[] | null;
  returnUrl: string | null;
  sessionTokenExchange: 'any' | 'confidential';
}

function siteInfo(site: Site): SiteInfo {
  return {
    id: site.id, name: site.name, locale: site.locale, currency: site.currency,
    ttlSeconds: site.ttl_seconds, idleSeconds: site.idle_seconds,
    refreshTtlSeconds: site.refresh_ttl_seconds, refreshGraceSeconds: site.refresh_grace_seconds,
    allowedOrigins: allowedOriginsOf(site), returnUrl: site.return_url, sessionTokenExchange: site.session_token_exchange
  };
}

export async function listSites(ctx: Ctx): Promise<SiteInfo[]> {
  const rows = await ctx.db.selectFrom('sites').selectAll().orderBy('id').execute();
  return rows.map(siteInfo);
}

/** The site, read fresh (not through the per-process cache), or AdminError. */
export async function requireSite(ctx: Ctx, siteId: string): Promise<Site> {
  const site = await ctx.db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst();
  if (site === undefined) throw new AdminError(`no site "${siteId}"`);
  return site;
}

export async function createSite(ctx: Ctx, seed: SiteSeed): Promise<SiteInfo> {
  await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('sites').select('id').where('id', '=', seed.id).executeTakeFirst();
    if (existing !== undefined) throw new AdminError(`site "${seed.id}" already exists`);
    await trx.insertInto('sites').values(siteRowOf(seed)).execute();
  });
  clearSiteCache(ctx);
  return siteInfo(await requireSite(ctx, seed.id));
}

export interface KeyInfo {
  key: string;
  site: string;
  type: 'public' | 'confidential';
}

export async function listKeys(ctx: Ctx, siteId: string): Promise<KeyInfo[]> {
  await requireSite(ctx, siteId);
  const rows = await ctx.db.selectFrom('api_keys').select(['key', 'site_id', 'type']).where('site_id', '=', siteId).orderBy('key').execute();
  return rows.map((r) => ({ key: r.key, site: r.site_id, type: r.type }));
}

export interface CreatedKey extends KeyInfo {
  /** The confidential key's secret, generated here; only its hash is stored. null for public keys. */
  secret: string | null;
}

export async function createKey(ctx: Ctx, siteId: string, key: Omit<ApiKeySeed, 'secret'>): Promise<CreatedKey> {
  const secret = key.type === 'confidential' ? randomHex(KEY_SECRET_BYTES) : null;
  const row = apiKeyRowOf(ctx, siteId, secret === null ? key : { ...key, secret });
  await ctx.db.transaction().execute(async (trx) => {
    const site = await trx.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
    if (site === undefined) throw new AdminError(`no site "${siteId}"`);
    const existing = await trx.selectFrom('api_keys').select('site_id').where('key', '=', key.key).executeTakeFirst();
    if (existing !== undefined) throw new AdminError(`API key "${key.key}" already exists (site "${existing.site_id}")`);
    await trx.insertInto('api_keys').values(row).execute();
  });
  clearSiteCache(ctx);
  return { key: key.key, site: siteId, type: key.type, secret };
}

async function requireKey(ctx: Ctx, key: string): Promise<KeyInfo> {
  const row = await ctx.db.selectFrom('api_keys').select(['key', 'site_id', 'type']).where('key', '=', key).executeTakeFirst();
  if (row === undefined) throw new AdminError(`no API key "${key}"`);
  return { key: row.key, site: row.site_id, type: row.type };
}

/** A new secret for a confidential key; the old one stops working (within the server's 5 s key cache). */
export async function rotateKey(ctx: Ctx, key: string): Promise<CreatedKey> {
  const info = await requireKey(ctx, key);
  if (info.type !== 'confidential') throw new AdminError(`API key "${key}" is public and has no secret to rotate`);
  const secret = randomHex(KEY_SECRET_BYTES);
  const row = apiKeyRowOf(ctx, info.site, { key, type: 'confidential', secret });
  await ctx.db.updateTable('api_keys').set({ secret_hash: row.secret_hash }).where('key', '=', key).execute();
  clearSiteCache(ctx);
  return { ...info, secret };
}

/** Deletes a key and revokes every token issued to it. */
export async function deleteKey(ctx: Ctx, key: string): Promise<KeyInfo & RevokedCount> {
  const info = await requireKey(ctx, key);
  const revoked = await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('api_keys').where('key', '=', key).execute();
    return await revokeKeyTokens(trx, key);
  });
  clearSiteCache(ctx);
  return { ...info, ...revoked };
}

export interface ShopperInfo {
  id: string;
  site: string;
  username: string | null;
  externalReferenceId: string | null;
  firstName: string;
  lastName: string;
  email: string;
  createdAt: string;
}

export async function listShoppers(ctx: Ctx, siteId: string): Promise<ShopperInfo[]> {
  await requireSite(ctx, siteId);
  const rows = await ctx.db.selectFrom('shoppers')
    .select(['id', 'site_id', 'username', 'external_ref', 'first_name', 'last_name', 'email', 'created_at'])
    .where('site_id', '=', siteId).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id, site: r.site_id, username: r.username, externalReferenceId: r.external_ref,
    firstName: r.first_name, lastName: r.last_name, email: r.email, createdAt: new Date(Number(r.created_at)).toISOString()
  }));
}

export async function createShopper(ctx: Ctx, siteId: string, shopper: ShopperSeed): Promise<ShopperInfo> {
  await requireSite(ctx, siteId);
  const row = shopperRowOf(siteId, shopper, await hashPassword(shopper.password), ctx.now());
  await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('shoppers').select('id')
      .where('site_id', '=', siteId).where('username', '=', shopper.username).executeTakeFirst();
    if (existing !== undefined) throw new AdminError(`shopper "${shopper.username}" already exists on site "${siteId}"`);
    await trx.insertInto('shoppers').values(row).execute();
  });
  return (await listShoppers(ctx, siteId)).find((s) => s.id === row.id) as ShopperInfo;
}

/** A shopper of a site by username or, failing that, external reference id. */
export async function findShopper(ctx: Ctx, siteId: string, ref: string): Promise<ShopperInfo> {
  await requireSite(ctx, siteId);
  const rows = await ctx.db.selectFrom('shoppers').select(['id', 'username']).where('site_id', '=', siteId)
    .where((eb) => eb.or([eb('username', '=', ref), eb('external_ref', '=', ref)])).execute();
  // A username match wins over an external reference that happens to be spelled the same.
  const row = rows.find((r) => r.username === ref) ?? rows[0];
  if (row === undefined) throw new AdminError(`no shopper "${ref}" on site "${siteId}" (neither username nor external reference id)`);
  return (await listShoppers(ctx, siteId)).find((s) => s.id === row.id) as ShopperInfo;
}

export async function revokeTokensOfShopper(ctx: Ctx, siteId: string, ref: string): Promise<ShopperInfo & RevokedCount> {
  const shopper = await findShopper(ctx, siteId, ref);
  return { ...shopper, ...(await revokeShopperTokens(ctx, siteId, shopper.id)) };
}

export interface ProductInfo {
  site: string;
  id: string;
  name: string;
  price: string;
}

export async function listProducts(ctx: Ctx, siteId: string): Promise<ProductInfo[]> {
  await requireSite(ctx, siteId);
  const rows = await ctx.db.selectFrom('products').selectAll().where('site_id', '=', siteId).orderBy('id').execute();
  return rows.map((r) => ({ site: r.site_id, id: r.id, name: r.name, price: r.price }));
}

export async function createProduct(ctx: Ctx, siteId: string, product: ProductSeed): Promise<ProductInfo> {
  await ctx.db.transaction().execute(async (trx) => {
    const site = await trx.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
    if (site === undefined) throw new AdminError(`no site "${siteId}"`);
    const existing = await trx.selectFrom('products').select('id').where('site_id', '=', siteId).where('id', '=', product.id).executeTakeFirst();
    if (existing !== undefined) throw new AdminError(`product "${product.id}" already exists on site "${siteId}"`);
    await trx.insertInto('products').values({ site_id: siteId, ...product }).execute();
  });
  return { site: siteId, ...product };
}

export interface SessionSummary {
  id: string;
  site: string;
  shopper: { kind: 'anonymous' } | { kind: 'registered' | 'external'; id: string; username: string | null; externalReferenceId: string | null };
  status: 'live' | 'expired';
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  expiresIn: number;
  locale: string;
  currency: string;
}

export interface SessionDetails extends SessionSummary {
  /** How many bearer handles still reach the session (never their values). */
  live: { cookies: number; sessionTokens: number; accessTokens: number; refreshTokens: number };
  cart: CartView | null;
}

type SessionRow = NonNullable<Awaited<ReturnType<typeof getSession>>>;

async function summarize(ctx: Ctx, session: SessionRow): Promise<SessionSummary> {
  const now = ctx.now();
  let shopper: SessionSummary['shopper'] = { kind: 'anonymous' };
  if (session.shopper_id !== null) {
    const row = await ctx.db.selectFrom('shoppers').select(['id', 'username', 'external_ref'])
      .where('id', '=', session.shopper_id).executeTakeFirst();
    shopper = {
      kind: row?.username ? 'registered' : 'external',
      id: session.shopper_id, username: row?.username ?? null, externalReferenceId: row?.external_ref ?? null
    };
  }
  return {
    id: session.id, site: session.site_id, shopper,
    status: session.expires_at > now ? 'live' : 'expired',
    createdAt: new Date(Number(session.created_at)).toISOString(),
    lastUsedAt: new Date(Number(session.last_used_at)).toISOString(),
    expiresAt: new Date(Number(session.expires_at)).toISOString(),
    expiresIn: secondsLeft(session, now),
    locale: session.locale, currency: session.currency
  };
}

/** The live sessions of a site, newest first, optionally of one shopper. */
export async function listSessions(ctx: Ctx, siteId: string, shopperRef: string | null, limit = 100): Promise<SessionSummary[]> {
  await requireSite(ctx, siteId);
  let query = ctx.db.selectFrom('sessions').selectAll().where('site_id', '=', siteId).where('expires_at', '>', ctx.now());
  if (shopperRef !== null) {
    const shopper = await findShopper(ctx, siteId, shopperRef);
    query = query.where('shopper_id', '=', shopper.id);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  const out: SessionSummary[] = [];
  for (const row of rows) out.push(await summarize(ctx, row));
  return out;
}

function count(rows: { n: number | string | bigint }[]): number {
  return Number(rows[0]?.n ?? 0);
}

export async function describeSession(ctx: Ctx, sessionId: string): Promise<SessionDetails> {
  const session = await getSession(ctx.db, sessionId);
  if (session === null) throw new AdminError(`no session "${sessionId}"`);
  const summary = await summarize(ctx, session);
  const now = ctx.now();
  const live = { cookies: 0, sessionTokens: 0, accessTokens: 0, refreshTokens: 0 };
  if (summary.status === 'live') {
    const handles = await ctx.db.selectFrom('handles').select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('session_id', '=', session.id).where('epoch', '=', session.epoch).groupBy('kind').execute();
    live.cookies = count(handles.filter((h) => h.kind === 'cookie'));
    live.sessionTokens = count(handles.filter((h) => h.kind === 'session_token'));
    live.accessTokens = count(await ctx.db.selectFrom('access_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', session.id).where('epoch', '=', session.epoch).where('revoked_reason', 'is', null).execute());
  }
  // A signed-in shopper's refresh token outlives its session (the refresh grant opens a new one).
  if (summary.status === 'live' || session.shopper_id !== null) {
    live.refreshTokens = count(await ctx.db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', session.id).where('epoch', '=', session.epoch).where('revoked_reason', 'is', null)
      .where('spent_at', 'is', null).where('expires_at', '>', now).execute());
  }
  const cartRow = await ctx.db.selectFrom('carts').selectAll().where('id', '=', session.cart_id).executeTakeFirst();
  const cart = cartRow === undefined ? null : await viewCart(ctx.db, session, cartRow);
  return { ...summary, live, cart };
}
