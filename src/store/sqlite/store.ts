import type { Executor, SessionRow } from '../rows.js';
import type { ChangeSource } from '../port.js';
import type { PairRows } from '../port/tokens.js';
import { KyselyStore } from '../kysely/store.js';
import { KyselyTokens } from '../kysely/tokens.js';
import { writeFreshSessionAndPair } from '../token-writes.js';
import { fastPathOf, type FastPath } from './fast-path.js';

/** SQLite's grants: the rows of one grant as one synchronous savepoint of the open group commit. */
class SqliteTokens extends KyselyTokens {
  override async writeSessionAndPair(session: SessionRow, pair: PairRows, idMayBeTaken: boolean): Promise<boolean> {
    // A derived id may be taken: the caller settles whose session it is in a transaction instead.
    if (idMayBeTaken) return false;
    await writeFreshSessionAndPair(this.db, session, pair);
    return true;
  }
}

/** The connection's generation and pending commit (see FastPath.generation()), as a ChangeSource. */
class SqliteChanges implements ChangeSource {
  constructor(private readonly fast: FastPath) {}
  generation(): number { return this.fast.generation(); }
  settled(): Promise<void> | null { return this.fast.pendingCommit(); }
}

/** The Store on SQLite (src/store/sqlite/driver.ts: one connection, group commit). */
export class SqliteStore extends KyselyStore {
  readonly changes: ChangeSource | null;

  constructor(db: Executor, changes?: ChangeSource | null) {
    super(db);
    if (changes !== undefined) {
      this.changes = changes;
    } else {
      const fast = fastPathOf(db);
      this.changes = fast === null ? null : new SqliteChanges(fast);
    }
  }

  protected bind(db: Executor): SqliteStore {
    return new SqliteStore(db, this.changes);
  }

  protected makeTokens(db: Executor): KyselyTokens {
    return new SqliteTokens(db);
  }
}
