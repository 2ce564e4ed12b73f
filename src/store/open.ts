import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, type KyselyPlugin } from 'kysely';
import type { Database, Executor } from './rows.js';
import type { Store } from './port.js';
import { migrationProvider } from './migrations.js';
import { GroupCommitSqliteDialect } from './sqlite/dialect.js';
import { SqliteStore } from './sqlite/store.js';
import { KyselyStore } from './kysely/store.js';
import { cachedStore } from './cached.js';

/** The Kysely handle under a store (kyselyOf): tests and benchmark fills only. */
export type DB = Executor;

export interface OpenOptions {
  /** postgres://… ; null selects SQLite. */
  databaseURL: string | null;
  /** Directory of the SQLite file; ':memory:' for an in-memory database (tests). */
  dataDir: string;
}

/**
 * Opens SQLite or PostgreSQL, migrated, as a Store. Where the store exposes a change source
 * (SQLite) it comes wrapped in the token cache (src/store/cached.ts).
 */
export async function openStore(options: OpenOptions): Promise<Store> {
  if (options.databaseURL !== null) {
    const { openPostgres, withMigrationLock } = await import('./postgres/open.js');
    const { PostgresStore } = await import('./postgres/store.js');
    const db = await openPostgres(options.databaseURL);
    try {
      await withMigrationLock(db, async () => { await migrate(db); });
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return cachedStore(new PostgresStore(db));
  }
  const db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect(openSqliteFile(options.dataDir)) });
  await migrate(db);
  return cachedStore(new SqliteStore(db));
}

/**
 * The Kysely handle under a store: for the test-only reader (test/support/reader.ts) and the
 * benchmarks' fill scripts, never for src/ outside src/store/.
 */
export function kyselyOf(store: Store): Executor {
  const inner = (store as { inner?: Store }).inner ?? store;
  if (!(inner instanceof KyselyStore)) throw new Error('not a Kysely store');
  return inner.db;
}

/** The same store with a Kysely plugin on its statements (tests that watch the queries). */
export function withKyselyPlugin(store: Store, plugin: KyselyPlugin): Store {
  const inner = (store as { inner?: Store }).inner ?? store;
  const db = kyselyOf(store).withPlugin(plugin);
  return cachedStore(inner instanceof SqliteStore ? new SqliteStore(db) : new (inner.constructor as new (db: Executor) => Store)(db));
}

export function openSqliteFile(dataDir: string): SQLite.Database {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, 'sessionlink.db');
  }
  const sqlite = new SQLite(file);
  // WAL + synchronous=NORMAL: a committed transaction is in the WAL file before the answer goes
  // out, so a killed process loses nothing it acknowledged (only an OS crash could).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // 16 MiB of page cache (the default is 2 MiB): with a million live sessions the inner pages of
  // every index a request walks stay in memory, and the server stays well under 300 MiB.
  sqlite.pragma('cache_size = -16384');
  // Statement journals (each savepoint of a group commit needs one) in memory, not in temp files
  // opened and unlinked per transaction.
  sqlite.pragma('temp_store = MEMORY');
  return sqlite;
}

export async function migrate(db: Executor): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    throw new Error(`database migration failed: ${String((error as Error).message ?? error)}`);
  }
}
