import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import type { Database } from './rows.js';
import { migrationProvider } from './migrations.js';
import { GroupCommitSqliteDialect } from './sqlite/driver.js';

export type DB = Kysely<Database>;

export interface OpenOptions {
  /** postgres://… ; null selects SQLite. */
  databaseURL: string | null;
  /** Directory of the SQLite file; ':memory:' for an in-memory database (tests). */
  dataDir: string;
}

export async function openStore(options: OpenOptions): Promise<DB> {
  let db: DB;
  if (options.databaseURL !== null) {
    const { openPostgres, withMigrationLock } = await import('./postgres/open.js');
    db = await openPostgres(options.databaseURL);
    try {
      await withMigrationLock(db, async () => { await migrate(db); });
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return db;
  }
  db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect(openSqliteFile(options.dataDir)) });
  await migrate(db);
  return db;
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

export async function migrate(db: DB): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    throw new Error(`database migration failed: ${String((error as Error).message ?? error)}`);
  }
}
