import type { NewApiKeyRow, NewShopperRow, NewSiteRow } from '../store/rows.js';
import type { SeedLogEntry, SeedWrite } from '../store/port.js';
import { hashPassword, hashSecret, randomHex } from '../crypto.js';
import type { Ctx } from './context.js';
import { clearSiteCache } from './sites.js';
import { returnUrlProblem } from './returns.js';
import { DEMO_SEED, readSeedFile, seedWebhookProblem, type ApiKeySeed, type Seed, type ShopperSeed, type SiteSeed } from './seed-schema.js';
import { endpointRowOf } from './webhook-secrets.js';

// The schema and the demo seed have their own file; the seed's callers find them here too.
export {
  ApiKeySeedSchema, DEMO_SEED, ProductSeedSchema, readSeedFile, SeedSchema, ShopperSeedSchema, SiteSeedSchema,
  type ApiKeySeed, type ProductSeed, type Seed, type ShopperSeed, type SiteSeed
} from './seed-schema.js';


/** A site's `returnUrl`, checked beyond its schema's pattern (it must parse as a URL). */
function returnUrlOf(site: SiteSeed): string | null {
  if (site.returnUrl === undefined || site.returnUrl === null) return null;
  const problem = returnUrlProblem(site.returnUrl);
  if (problem !== null) throw new Error(`seed: site ${site.id}: returnUrl ${problem}`);
  return site.returnUrl;
}

/** The `sites` row of a seeded site, defaults filled in. */
export function siteRowOf(site: SiteSeed): NewSiteRow {
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
    limits: site.limits ? JSON.stringify(site.limits) : null,
    return_url: returnUrlOf(site)
  };
}

/** The `api_keys` row of a key: its secret only as a hash. */
export function apiKeyRowOf(ctx: Ctx, siteId: string, key: ApiKeySeed): NewApiKeyRow {
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
export function shopperRowOf(siteId: string, shopper: ShopperSeed, passwordHash: string, now: number): NewShopperRow {
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

/** JSON with object keys sorted, so an entry's digest does not depend on how the file orders them. */
function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

type EntryKind = 'site' | 'key' | 'shopper' | 'product' | 'webhook';

/** What the loader does with one entry: `new` (never applied), `changed` (its text differs from what was applied), `unchanged`. */
type EntryState = 'new' | 'changed' | 'unchanged';

interface Entry {
  kind: EntryKind;
  id: string;
  siteId: string;
  digest: string;
  state: EntryState;
}

export interface SeedReport {
  /** Entries created or re-applied (new, or edited in the file since they were last applied). */
  applied: number;
  /** Entries applied before and unchanged in the file: left alone, whatever became of their rows. */
  unchanged: number;
}

/**
 * Loads a seed. Each entry (site, API key, shopper, product) is applied once:
 * - an entry never applied before creates its row when it is missing, and leaves an existing row
 *   (made by the admin command line, or by an older version) as it is;
 * - an entry applied before and unchanged in the file is not applied again, so what the operator
 *   did since stays done: a rotated key keeps its new secret, a deleted key stays deleted, a
 *   shopper's own profile changes stay;
 * - an entry whose text changed since (a new secret, price, TTL…) is applied again, over the row
 *   or recreating it; a shopper's password is still set only when the shopper is created.
 * What was applied is remembered in `seed_log` as an HMAC of each entry (never the secret).
 * `demo` marks the entries as the demo's, which a start without the demo removes again.
 */
export async function loadSeed(ctx: Ctx, seed: Seed, options: { demo?: boolean } = {}): Promise<SeedReport> {
  // A malformed webhook entry refuses the whole seed before anything is written.
  const problem = seedWebhookProblem(seed);
  if (problem !== null) throw new Error(`seed is invalid at ${problem}`);
  const now = ctx.now();
  const demo = options.demo === true ? 1 : 0;
  const logged = new Map<string, string>();
  for (const row of await ctx.store.seed.log()) {
    logged.set(`${row.kind}\0${row.id}`, row.digest);
  }
  const entry = (kind: EntryKind, id: string, siteId: string, value: unknown): Entry => {
    const digest = hashSecret(ctx.secret, 'seed-entry', `${kind}\0${siteId}\0${canonicalJSON(value)}`);
    const before = logged.get(`${kind}\0${id}`);
    return { kind, id, siteId, digest, state: before === undefined ? 'new' : before === digest ? 'unchanged' : 'changed' };
  };
  const passwordHashes = new Map<string, string>();
  for (const site of seed.sites) {
    for (const shopper of site.shoppers ?? []) {
      if (entry('shopper', `${site.id}/${shopper.username}`, site.id, shopper).state !== 'unchanged') {
        passwordHashes.set(`${site.id}\0${shopper.username}`, await hashPassword(shopper.password));
      }
    }
  }
  const report: SeedReport = { applied: 0, unchanged: 0 };
  const writes: Array<{ write: SeedWrite; entry: SeedLogEntry }> = [];
  const apply = (e: Entry, write: SeedWrite): void => {
    report.applied++;
    writes.push({ write, entry: { kind: e.kind, id: e.id, site_id: e.siteId, digest: e.digest, demo, applied_at: now } });
  };
  for (const site of seed.sites) {
    const { apiKeys, shoppers, products, webhooks, ...settings } = site;
    const siteEntry = entry('site', site.id, site.id, settings);
    if (siteEntry.state === 'unchanged') {
      report.unchanged++;
    } else {
      apply(siteEntry, { kind: 'site', row: siteRowOf(site), replace: siteEntry.state === 'changed' });
    }
    for (const key of apiKeys ?? []) {
      const keyEntry = entry('key', key.key, site.id, key);
      if (keyEntry.state === 'unchanged') {
        report.unchanged++;
        continue;
      }
      apply(keyEntry, { kind: 'key', row: apiKeyRowOf(ctx, site.id, key), replace: keyEntry.state === 'changed' });
    }
    for (const product of products ?? []) {
      const productEntry = entry('product', `${site.id}/${product.id}`, site.id, product);
      if (productEntry.state === 'unchanged') {
        report.unchanged++;
        continue;
      }
      apply(productEntry, { kind: 'product', row: { site_id: site.id, ...product }, replace: productEntry.state === 'changed' });
    }
    for (const shopper of shoppers ?? []) {
      const shopperEntry = entry('shopper', `${site.id}/${shopper.username}`, site.id, shopper);
      if (shopperEntry.state === 'unchanged') {
        report.unchanged++;
        continue;
      }
      const row = shopperRowOf(site.id, shopper, passwordHashes.get(`${site.id}\0${shopper.username}`) as string, now);
      apply(shopperEntry, { kind: 'shopper', row, replace: shopperEntry.state === 'changed' });
    }
    for (const hook of webhooks ?? []) {
      const hookEntry = entry('webhook', `${site.id}/${hook.url}`, site.id, hook);
      if (hookEntry.state === 'unchanged') {
        report.unchanged++;
        continue;
      }
      apply(hookEntry, { kind: 'webhook', row: endpointRowOf(ctx, site.id, hook), replace: hookEntry.state === 'changed' });
    }
  }
  await ctx.store.seed.apply(writes);
  clearSiteCache(ctx);
  return report;
}

/** The site ids the demo seed makes. */
export const DEMO_SITE_IDS: readonly string[] = DEMO_SEED.sites.map((s) => s.id);

/**
 * Whether a demo site id in the database is the demo of a version from before seed_log, which
 * loaded it on every start without a seed file and left no mark: no seed entry ever made that
 * site, and its demo key still opens with the published secret (a site of the operator's own has
 * secrets of its own).
 */
async function isUnmarkedDemo(ctx: Ctx, demo: SiteSeed): Promise<boolean> {
  if (await ctx.store.seed.mentions(demo.id)) return false;
  const keys = await ctx.store.sites.keysOf(demo.id);
  return keys.some((row) => (demo.apiKeys ?? []).some((k) => k.key === row.key && k.secret !== undefined &&
    row.secret_hash === hashSecret(ctx.secret, 'api-key-secret', k.secret)));
}

/**
 * Loads the demo site. Refused when a site of the same id exists that the demo did not make (a
 * real site would get the demo's published keys and password).
 */
export async function loadDemo(ctx: Ctx): Promise<SeedReport> {
  for (const demo of DEMO_SEED.sites) {
    const id = demo.id;
    const site = await ctx.store.sites.get(id);
    const log = await ctx.store.seed.siteMark(id);
    if (site !== null && log?.demo !== 1 && !await isUnmarkedDemo(ctx, demo)) {
      throw new Error(`this database has a site "${id}" that the demo did not make; run the demo on a database of its own (another DATA_DIR)`);
    }
  }
  return await loadSeed(ctx, DEMO_SEED, { demo: true });
}

/**
 * Removes every site the demo made (with its keys, shoppers, products, sessions, tokens, carts
 * and orders), so a database once started with the demo never serves its published credentials
 * after a start without it. Returns the ids removed.
 */
export async function removeDemoSites(ctx: Ctx): Promise<string[]> {
  const demoSites = (await ctx.store.seed.demoSites()).map((id) => ({ id }));
  // A database from before seed_log: that version loaded the demo on every start without a seed
  // file and left no mark. A demo site id that no seed entry ever made, whose demo key still opens
  // with the published secret, is that demo (a site of the operator's own has its own secrets).
  for (const demo of DEMO_SEED.sites) {
    if (!demoSites.some((d) => d.id === demo.id) && await isUnmarkedDemo(ctx, demo)) demoSites.push({ id: demo.id });
  }
  const removed: string[] = [];
  for (const { id } of demoSites) {
    await ctx.store.seed.removeSite(id);
    removed.push(id);
  }
  clearSiteCache(ctx);
  return removed;
}

export interface StartupSeed {
  /** Demo sites removed because this start runs without the demo. */
  removedDemoSites: string[];
  demo: SeedReport | null;
  seed: SeedReport | null;
  /** Sites in the database once seeding is done. */
  sites: number;
}

/**
 * What the server does with sites at start: the demo only when asked for (never in production),
 * else removes what an earlier demo run left; then the seed file, if one is given.
 */
export async function seedAtStart(ctx: Ctx, options: { demo: boolean; production: boolean; seedFile: string | null }): Promise<StartupSeed> {
  if (options.demo && options.production) {
    throw new Error('refusing to run the demo (its keys and password are published) with NODE_ENV=production; drop --demo / SESSIONLINK_DEMO');
  }
  const seed = options.seedFile === null ? null : readSeedFile(options.seedFile);
  const clash = seed?.sites.find((s) => DEMO_SITE_IDS.includes(s.id));
  if (options.demo && clash !== undefined) {
    throw new Error(`the seed file names site "${clash.id}", which the demo uses; run the demo without it, or the seed without --demo`);
  }
  const removedDemoSites = options.demo ? [] : await removeDemoSites(ctx);
  const demo = options.demo ? await loadDemo(ctx) : null;
  const loaded = seed === null ? null : await loadSeed(ctx, seed);
  return { removedDemoSites, demo, seed: loaded, sites: await ctx.store.sites.count() };
}
