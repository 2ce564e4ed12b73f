import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.js';

// bigint columns hold unix milliseconds, which fit a JS number exactly.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** Arbitrary constant key of the session-level advisory lock that serialises migrations. */
export const MIGRATION_LOCK_KEY = 745_120_301;

export async function openPostgres(url: string): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle pooled connection the server ends (restart, failover, pg_terminate_backend) emits
  // 'error' on the pool; unheard, that crashes the process. The pool already drops that client
  // and the next query opens a new one, so there is nothing more to do here.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` while holding a PostgreSQL advisory lock on one dedicated connection, so several
 * processes starting at once migrate one after another (the later ones find nothing to do).
 */
export async function withMigrationLock<T>(db: Kysely<Database>, fn: () => Promise<T>): Promise<T> {
  return await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}
