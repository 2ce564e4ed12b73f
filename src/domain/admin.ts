import { hashPassword, randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import { viewCart, type CartView } from './cart.js';
import {
  apiKeyRowOf, shopperRowOf, siteRowOf, type ApiKeySeed, type ProductSeed, type ShopperSeed, type SiteSeed
} from './seed.js';
import { getSession, secondsLeft } from './sessions.js';
import { allowedOriginsOf, clearSiteCache, type Site } from './sites.js';
import { revokeShopperTokens, type RevokedCount } from './tokens.js';
import type { ShopperRow } from '../store/rows.js';

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
  return (await ctx.store.sites.list()).map(siteInfo);
}

/** The site, read fresh (not through the per-process cache), or AdminError. */
export async function requireSite(ctx: Ctx, siteId: string): Promise<Site> {
  const site = await ctx.store.sites.get(siteId);
  if (site === null) throw new AdminError(`no site "${siteId}"`);
  return site;
}

export async function createSite(ctx: Ctx, seed: SiteSeed): Promise<SiteInfo> {
  if (!await ctx.store.sites.create(siteRowOf(seed))) throw new AdminError(`site "${seed.id}" already exists`);
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
  const rows = await ctx.store.sites.keysOf(siteId);
  return rows.map((r) => ({ key: r.key, site: r.site_id, type: r.type }));
}

export interface CreatedKey extends KeyInfo {
  /** The confidential key's secret, generated here; only its hash is stored. null for public keys. */
  secret: string | null;
}

export async function createKey(ctx: Ctx, siteId: string, key: Omit<ApiKeySeed, 'secret'>): Promise<CreatedKey> {
  const secret = key.type === 'confidential' ? randomHex(KEY_SECRET_BYTES) : null;
  const row = apiKeyRowOf(ctx, siteId, secret === null ? key : { ...key, secret });
  const created = await ctx.store.sites.createKey(row);
  if (created === 'no-site') throw new AdminError(`no site "${siteId}"`);
  if (created !== 'created') throw new AdminError(`API key "${key.key}" already exists (site "${created.exists}")`);
  clearSiteCache(ctx);
  return { key: key.key, site: siteId, type: key.type, secret };
}

async function requireKey(ctx: Ctx, key: string): Promise<KeyInfo> {
  const row = await ctx.store.sites.key(key);
  if (row === null) throw new AdminError(`no API key "${key}"`);
  return { key: row.key, site: row.site_id, type: row.type };
}

/** A new secret for a confidential key; the old one stops working (within the server's 5 s key cache). */
export async function rotateKey(ctx: Ctx, key: string): Promise<CreatedKey> {
  const info = await requireKey(ctx, key);
  if (info.type !== 'confidential') throw new AdminError(`API key "${key}" is public and has no secret to rotate`);
  const secret = randomHex(KEY_SECRET_BYTES);
  const row = apiKeyRowOf(ctx, info.site, { key, type: 'confidential', secret });
  await ctx.store.sites.setKeySecret(key, row.secret_hash ?? null);
  clearSiteCache(ctx);
  return { ...info, secret };
}

/** Deletes a key and revokes every token issued to it. */
export async function deleteKey(ctx: Ctx, key: string): Promise<KeyInfo & RevokedCount> {
  const info = await requireKey(ctx, key);
  const revoked = await ctx.store.sites.deleteKey(key);
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
  const rows: ShopperRow[] = await ctx.store.shoppers.list(siteId);
  return rows.map((r) => ({
    id: r.id, site: r.site_id, username: r.username, externalReferenceId: r.external_ref,
    firstName: r.first_name, lastName: r.last_name, email: r.email, createdAt: new Date(Number(r.created_at)).toISOString()
  }));
}

export async function createShopper(ctx: Ctx, siteId: string, shopper: ShopperSeed): Promise<ShopperInfo> {
  await requireSite(ctx, siteId);
  const row = shopperRowOf(siteId, shopper, await hashPassword(shopper.password), ctx.now());
  await ctx.store.transaction(async (tx) => {
    if (await tx.shoppers.byUsername(siteId, shopper.username) !== null) throw new AdminError(`shopper "${shopper.username}" already exists on site "${siteId}"`);
    await tx.shoppers.insert(row);
  });
  return (await listShoppers(ctx, siteId)).find((s) => s.id === row.id) as ShopperInfo;
}

/** A shopper of a site by username or, failing that, external reference id. */
export async function findShopper(ctx: Ctx, siteId: string, ref: string): Promise<ShopperInfo> {
  await requireSite(ctx, siteId);
  const rows = await ctx.store.shoppers.findByRef(siteId, ref);
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
  const rows = await ctx.store.catalogue.list(siteId);
  return rows.map((r) => ({ site: r.site_id, id: r.id, name: r.name, price: r.price }));
}

export async function createProduct(ctx: Ctx, siteId: string, product: ProductSeed): Promise<ProductInfo> {
  const created = await ctx.store.sites.createProduct({ site_id: siteId, ...product });
  if (created === 'no-site') throw new AdminError(`no site "${siteId}"`);
  if (created === 'exists') throw new AdminError(`product "${product.id}" already exists on site "${siteId}"`);
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
    const row = await ctx.store.shoppers.brief(session.shopper_id);
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
  const shopperId = shopperRef === null ? null : (await findShopper(ctx, siteId, shopperRef)).id;
  const rows = await ctx.store.sites.liveSessions(siteId, ctx.now(), shopperId, limit);
  const out: SessionSummary[] = [];
  for (const row of rows) out.push(await summarize(ctx, row));
  return out;
}

export async function describeSession(ctx: Ctx, sessionId: string): Promise<SessionDetails> {
  const session = await getSession(ctx.store, sessionId);
  if (session === null) throw new AdminError(`no session "${sessionId}"`);
  const summary = await summarize(ctx, session);
  const now = ctx.now();
  const counts = await ctx.store.sites.liveCounts(session, now);
  const live = { cookies: 0, sessionTokens: 0, accessTokens: 0, refreshTokens: 0 };
  if (summary.status === 'live') {
    live.cookies = counts.cookies;
    live.sessionTokens = counts.sessionTokens;
    live.accessTokens = counts.accessTokens;
  }
  // A signed-in shopper's refresh token outlives its session (the refresh grant opens a new one).
  if (summary.status === 'live' || session.shopper_id !== null) live.refreshTokens = counts.refreshTokens;
  const cartRow = await ctx.store.carts.get(session.cart_id);
  const cart = cartRow === null ? null : await viewCart(ctx.store, session, cartRow);
  return { ...summary, live, cart };
}
