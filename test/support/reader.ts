import type { DB } from '../../src/store/open.js';

/**
 * A test-only reader of what is stored, for checks such as "nothing is stored": the tests say
 * what they count, this file alone knows the tables. When storage changes, only this file does.
 */
export type Stored = 'sites' | 'api_keys' | 'shoppers' | 'products' | 'sessions' | 'handles' | 'access_tokens' | 'refresh_tokens'
  | 'carts' | 'line_items' | 'orders' | 'handoff_codes';

/** How many rows of `what` are stored (live or not). */
export async function countStored(db: DB, what: Stored): Promise<number> {
  const row = await db.selectFrom(what).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
