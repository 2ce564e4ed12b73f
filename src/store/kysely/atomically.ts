import type { Executor } from '../rows.js';

/** Runs `fn` in a transaction: `db`'s own when it is one, else a new one. */
export async function atomically<T>(db: Executor, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return await fn(db);
  return await db.transaction().execute(fn);
}
