import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from '../rows.js';
import { statementNameOf } from './statements.js';

// bigint columns hold unix milliseconds, which fit a JS number exactly.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** Arbitrary constant key of the session-level advisory lock that serialises migrations. */
export const MIGRATION_LOCK_KEY = 745_120_301;

/** The server no longer has (a usable) copy of a statement this client prepared. */
function statementGone(err: unknown): boolean {
  const { code, message, routine } = err as { code?: string; message?: string; routine?: string };
  // invalid_sql_statement_name: DISCARD ALL / DEALLOCATE ALL ran on the connection (a pooler's reset);
  // feature_not_supported "cached plan must not change result type": a migration changed a table
  // (known by the server routine that raises it, whose name is not translated with lc_messages).
  return code === '26000' ||
    (code === '0A000' && (routine === 'RevalidateCachedQuery' || /cached plan must not change result type/.test(message ?? '')));
}

/**
 * A pooled client that runs registered SQL texts as named prepared statements. Kysely's driver
 * calls `query(text, values)` on the connection it holds, so this covers queries inside a
 * transaction too (they run on that transaction's connection, as before).
 */
class PreparingClient extends pg.Client {
  /**
   * The server lost our statements while a transaction was open: forget them before the next
   * query that can run (not in an aborted transaction; DEALLOCATE is allowed inside a live one and
   * is not rolled back), or every later transaction on this connection would fail the same way.
   */
  #forgetSoon = false;

  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === 'string' && typeof callback !== 'function' && typeof values !== 'function'
      ? statementNameOf(config) : undefined;
    if (name === undefined) return super.query(config, values, callback);
    return this.#named(name, config, values ?? []);
  }

  async #named(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const status = this.getTransactionStatus();
    const idle = status === 'I';
    if (this.#forgetSoon && status !== 'E') await this.#forget();
    try {
      return await (super.query({ name, text, values }) as unknown as Promise<pg.QueryResult>);
    } catch (err) {
      if (!statementGone(err)) throw err;
      // Outside a transaction nothing was done: start over with freshly parsed statements. Inside
      // one the transaction is aborted anyway; clean up before this connection's next query.
      if (!idle) {
        this.#forgetSoon = true;
        throw err;
      }
      await this.#forget();
      return await (super.query({ name, text, values }) as unknown as Promise<pg.QueryResult>);
    }
  }

  /** Drops every prepared statement on both sides, so each is parsed again on next use. */
  async #forget(): Promise<void> {
    this.#forgetSoon = false;
    await super.query('deallocate all');
    const connection = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection;
    connection.parsedStatements = {};
  }
}

export async function openPostgres(url: string): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: 10, Client: PreparingClient });
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
