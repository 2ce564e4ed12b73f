import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { kyselyOf, type DB } from '../../src/store/open.js';
import type { Store } from '../../src/store/port.js';

/**
 * A test-only reader of what is stored, for checks such as "nothing is stored": the tests say
 * what they count, this file alone knows the tables. When storage changes, only this file does.
 * Tests never read (or write) tables themselves: they call a function here, or set things up
 * through the public surfaces (the seed, the admin command line, HTTP).
 */
export type Stored = 'sites' | 'api_keys' | 'shoppers' | 'products' | 'sessions' | 'handles' | 'access_tokens' | 'refresh_tokens'
  | 'carts' | 'line_items' | 'orders' | 'handoff_codes';

/** Every kind of row a shopper's use of the service can leave, for "nothing changed" checks. */
export const ALL_STORED: readonly Stored[] = ['sites', 'api_keys', 'shoppers', 'products', 'sessions', 'handles', 'access_tokens',
  'refresh_tokens', 'carts', 'line_items', 'orders', 'handoff_codes'];

/** How many rows of `what` are stored (live or not). */
export async function countStored(db: DB, what: Stored): Promise<number> {
  const row = await db.selectFrom(what).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every value stored of each kind, as one string: for "this secret is not stored in clear". */
export async function everythingStored(db: DB, what: readonly Stored[] = ALL_STORED): Promise<string> {
  const parts: string[] = [];
  for (const table of what) parts.push(JSON.stringify(await db.selectFrom(table).selectAll().execute()));
  return parts.join('\n');
}

/** The stored hashes of every access and refresh token (what a leak of the database would give). */
export async function storedTokenHashes(db: DB): Promise<string[]> {
  const rows = await db.selectFrom('access_tokens').select('hash').union(db.selectFrom('refresh_tokens').select('hash')).execute();
  return rows.map((row) => row.hash);
}

/** The stored hashes of every handoff code. */
export async function storedHandoffHashes(db: DB): Promise<string[]> {
  return (await db.selectFrom('handoff_codes').select('hash').execute()).map((row) => row.hash);
}

/** How many shoppers carry this external reference (on any site). */
export async function shoppersWithExternalRef(db: DB, externalRef: string): Promise<number> {
  return (await db.selectFrom('shoppers').select('id').where('external_ref', '=', externalRef).execute()).length;
}

/** What is stored for a shopper's password (a hash, or null for none), by username; throws when there is no such shopper. */
export async function storedPasswordOf(db: DB, username: string): Promise<string | null> {
  return (await db.selectFrom('shoppers').select('password_hash').where('username', '=', username).executeTakeFirstOrThrow()).password_hash;
}

/** When each session was last used (unix ms), in storage order: for "a refused call does not touch the session". */
export async function sessionsLastUsed(db: DB): Promise<number[]> {
  return (await db.selectFrom('sessions').select('last_used_at').execute()).map((row) => Number(row.last_used_at));
}

/** The stored details (billing address, masked payment) of the order placed from a cart. */
export async function orderDetailsOf(db: DB, cartId: string): Promise<string> {
  return (await db.selectFrom('orders').select('details').where('cart_id', '=', cartId).executeTakeFirstOrThrow()).details;
}

/** Whether the seed log marks a seeded site as the demo's (undefined: no mark at all). */
export async function seededAsDemo(db: DB, siteId: string): Promise<boolean | undefined> {
  const row = await db.selectFrom('seed_log').select('demo').where('kind', '=', 'site').where('id', '=', siteId).executeTakeFirst();
  return row === undefined ? undefined : Number(row.demo) === 1;
}

/**
 * Makes a database look as the version before the seed log left it: the seeded rows without their
 * marks. No public surface makes such a database, so this is the one write tests do by hand.
 */
export async function forgetSeedMarks(db: DB): Promise<void> {
  await db.deleteFrom('seed_log').execute();
}

/** Row counts and a digest of every row of every table: equal snapshots = nothing changed. */
export async function storedSnapshot(db: DB): Promise<string> {
  const tables = (await db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith('kysely_')).sort();
  const parts: string[] = [];
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    const lines = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    parts.push(`${table}:${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex')}`);
  }
  return parts.join(' ');
}

/** How many webhook events or deliveries `store` sees (a transaction's Store sees its own writes). */
export async function countWebhookRows(store: Store, table: 'webhook_events' | 'webhook_deliveries'): Promise<number> {
  const row = await kyselyOf(store).selectFrom(table).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
