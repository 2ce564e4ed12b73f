/** Runs already-compiled statements without Kysely's per-query machinery (GroupCommitDriver). */

export interface FastResult {
  rows: unknown[];
  numAffectedRows?: bigint;
  /** For a write outside a transaction: resolves once it is committed. */
  committed?: Promise<void>;
}

export interface FastPath {
  /**
   * Runs `sql` now, or answers null when it cannot: outside a transaction while a transaction
   * holds the connection, the statement must queue behind it like any other.
   */
  tryRun(sql: string, parameters: readonly unknown[], inTransaction: boolean, options?: RunOptions): FastResult | null;
  /** A long read on the background thread's connection; null when there is none (in-memory). */
  readInBackground(sql: string, parameters: readonly unknown[]): Promise<unknown[]> | null;
  /**
   * A number that moves whenever rows may have changed other than through a statement this
   * connection ran and committed: a commit by any other connection to the file (`PRAGMA
   * data_version`: the admin CLI, another server process), a rolled-back transaction, a failed
   * group commit. `check: false` skips the question to SQLite. What this process writes through
   * the Store is reported by the Store's own methods (src/store/cached.ts), not here: nothing is
   * inferred from a statement.
   */
  generation(check?: boolean): number;
  /** Resolves when the open group's writes are committed; null when it holds none. */
  pendingCommit(): Promise<void> | null;
  /**
   * Runs `statements` now as one savepoint of the open group (all or none), or answers null when
   * a transaction holds the connection. Each statement's changed-row count, and the group's commit.
   */
  tryAtomically(statements: ReadonlyArray<AtomicStatement>): { changes: number[]; committed: Promise<void> } | null;
}

/** One statement of tryAtomically(). */
export interface AtomicStatement {
  sql: string;
  values: readonly unknown[];
}

export interface RunOptions {
  /**
   * Told the changed-row count as soon as the statement has run, before its commit (on the fast
   * path synchronously, so nothing else runs in between; on the slow path once it resolves).
   */
  afterRun?: (changes: number) => void;
}

const fastPaths = new WeakMap<object, FastPath>();

/** The fast path of a Kysely instance (or transaction) on this dialect, else null. */
export function fastPathOf(db: { getExecutor(): { adapter: object } }): FastPath | null {
  return fastPaths.get(db.getExecutor().adapter) ?? null;
}

/** Registers the fast path of a dialect's adapter (shared by a Kysely instance and its transactions). */
export function registerFastPath(adapter: object, fast: FastPath): void {
  fastPaths.set(adapter, fast);
}
