import type { ApiKeyRow, SiteRow } from '../store/rows.js';
import { constantTimeEqual, hashSecret } from '../crypto.js';
import type { Ctx } from './context.js';

export type Site = SiteRow;
export type ApiKey = ApiKeyRow;

/**
 * Sites and keys change rarely (seed file, admin command) and are read on every request, so they
 * are cached for a few seconds per process. A key deleted by the admin command stops working
 * everywhere within CACHE_MS.
 */
const CACHE_MS = 5000;

interface Cached<T> {
  value: T;
  at: number;
}

const siteCache = new WeakMap<object, Map<string, Cached<Site | null>>>();
const keyCache = new WeakMap<object, Map<string, Cached<ApiKey | null>>>();

function cacheFor<T>(store: WeakMap<object, Map<string, Cached<T>>>, owner: object): Map<string, Cached<T>> {
  let map = store.get(owner);
  if (map === undefined) {
    map = new Map();
    store.set(owner, map);
  }
  return map;
}

/** One cached read per (owner, id); misses are cached too, so unknown ids cost one query per CACHE_MS. */
async function cachedLookup<T>(store: WeakMap<object, Map<string, Cached<T | null>>>, ctx: Ctx, id: string, load: () => Promise<T | null>): Promise<T | null> {
  const cache = cacheFor(store, ctx.store);
  const hit = cache.get(id);
  const now = Date.now();
  if (hit !== undefined && now - hit.at < CACHE_MS) {
    return hit.value;
  }
  const value = (await load()) ?? null;
  if (cache.size > 10000) cache.clear();
  cache.set(id, { value, at: now });
  return value;
}

export async function getSite(ctx: Ctx, siteId: string): Promise<Site | null> {
  return await cachedLookup(siteCache, ctx, siteId, async () =>
    await ctx.store.sites.get(siteId));
}

export async function getApiKey(ctx: Ctx, key: string): Promise<ApiKey | null> {
  return await cachedLookup(keyCache, ctx, key, async () =>
    await ctx.store.sites.key(key));
}

/** Forget cached sites and keys (after the seed loader or the admin command changed them). */
export function clearSiteCache(ctx: Ctx): void {
  siteCache.delete(ctx.store);
  keyCache.delete(ctx.store);
}

export function checkKeySecret(ctx: Ctx, key: ApiKey, secret: string): boolean {
  if (key.secret_hash === null) {
    return false;
  }
  return constantTimeEqual(hashSecret(ctx.secret, 'api-key-secret', secret), key.secret_hash);
}

export function allowedOriginsOf(site: Site): string[] | null {
  if (site.allowed_origins === null) return null;
  const list = JSON.parse(site.allowed_origins) as unknown;
  return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string') : null;
}

const parsedLimits = new WeakMap<object, WeakMap<Site, unknown>>();

/**
 * A site's `limits` (seed file) laid over `defaults`: positive integers only, anything else keeps
 * the default. Parsed once per cached site row, so on a request it is two map lookups.
 */
export function siteLimits<T extends { [K in keyof T]: number }>(site: Site | null, defaults: T): T {
  if (site === null || site.limits === null) return defaults;
  let cache = parsedLimits.get(defaults);
  if (cache === undefined) {
    cache = new WeakMap();
    parsedLimits.set(defaults, cache);
  }
  let limits = cache.get(site) as T | undefined;
  if (limits === undefined) {
    const given = JSON.parse(site.limits) as Record<string, unknown>;
    const merged = { ...defaults } as Record<string, number>;
    for (const name of Object.keys(merged)) {
      const value = given[name];
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) merged[name] = value;
    }
    limits = merged as unknown as T;
    cache.set(site, limits);
  }
  return limits;
}

/** Every site's `allowed_origins` column as stored (JSON text, or null for a site open to any origin). */
export async function allSitesOrigins(ctx: Ctx): Promise<Array<string | null>> {
  return await ctx.store.sites.allOrigins();
}
