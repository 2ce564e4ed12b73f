import type SQLite from 'better-sqlite3';
import { SqliteDialect, type DialectAdapter, type Driver } from 'kysely';
import { GroupCommitDriver } from './driver.js';
import { registerFastPath } from './fast-path.js';

/**
 * Kysely's own better-sqlite3 driver prepares every statement anew and commits every transaction
 * on its own. This one keeps prepared statements and groups commits: the writes of every request
 * handled in the same two turns of the event loop go into one SQLite transaction, committed (in a
 * `setImmediate`) before any of those requests is told it succeeded. Each Kysely transaction is a
 * savepoint inside it, so a failed one rolls back alone; a failed group commit fails every request
 * in the group, and none of them has answered yet. (src/store/sqlite/driver.ts)
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #sqlite: SQLite.Database;
  #driver: GroupCommitDriver | null = null;

  constructor(sqlite: SQLite.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }

  override createDriver(): Driver {
    this.#driver = new GroupCommitDriver(this.#sqlite);
    return this.#driver;
  }

  override createAdapter(): DialectAdapter {
    const adapter = super.createAdapter();
    // A Kysely instance and its transactions share this adapter: the way back to the driver.
    if (this.#driver !== null) registerFastPath(adapter, this.#driver);
    return adapter;
  }
}
