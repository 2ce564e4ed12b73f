import type SQLite from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';
import type { AtomicStatement, FastPath, FastResult, RunOptions } from './fast-path.js';

/** Opens the checkpoint thread for a file database (an in-memory one has no WAL). */
function checkpointerFor(sqlite: SQLite.Database): Checkpointer | null {
  if (sqlite.memory || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  sqlite.pragma('wal_autocheckpoint = 0');
  // Should the thread die, the serving connection checkpoints for itself again (SQLite's default).
  return new Checkpointer(sqlite.name, () => { if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000'); });
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // Nobody may be waiting on a group that failed; that is not an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** The most statements kept prepared; Kysely's SQL text is stable per query shape. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Group commit on one better-sqlite3 connection (see GroupCommitSqliteDialect in dialect.ts):
 * Kysely's driver, and the fast path that runs compiled statements without Kysely's machinery.
 */
export class GroupCommitDriver implements Driver, FastPath {
  readonly #sqlite: SQLite.Database;
  readonly #statements = new Map<string, SQLite.Statement>();
  /** See FastPath.generation(). */
  #generation = 0;
  #dataVersion: SQLite.Statement | null = null;
  #lastDataVersion = -1;
  readonly #queue: (() => void)[] = [];
  #locked = false;
  /** The open group transaction, if any. */
  #group: Deferred | null = null;
  #flushScheduled = false;
  /** Whether the current holder of the connection wrote anything. */
  #wrote = false;
  /** Whether the open group holds any write (then every answer that read it waits for it). */
  #groupWrote = false;
  readonly #connection: DatabaseConnection;
  #checkpointer: Checkpointer | null = null;

  constructor(sqlite: SQLite.Database) {
    this.#sqlite = sqlite;
    this.#connection = {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => this.#execute<R>(query.sql, query.parameters),
      // eslint-disable-next-line require-yield
      streamQuery: async function * () { throw new Error('streaming is not supported'); }
    };
  }

  tryRun(sql: string, parameters: readonly unknown[], inTransaction: boolean, options?: RunOptions): FastResult | null {
    // Inside a transaction the caller is the holder of the connection; outside, it may use the
    // connection only while nobody holds it (then nothing can interleave: this is synchronous).
    if (inTransaction) return this.#executeKeeping(sql, parameters, options);
    if (this.#locked) return null;
    let result: FastResult;
    try {
      result = this.#executeKeeping(sql, parameters, options);
    } finally {
      // Nobody holds the connection, so there is no holder's flag to keep; a group this statement
      // opened (even if it failed) must still be committed.
      this.#wrote = false;
      if (this.#group !== null) this.#scheduleFlush();
    }
    // An autocommit write is acknowledged when its group commits; so is a read that may have
    // seen another request's write in that group (it must not answer with uncommitted data).
    const group = this.#group;
    if (group === null || !this.#groupWrote) return result;
    return { ...result, committed: group.promise };
  }

  #executeKeeping(sql: string, parameters: readonly unknown[], options: RunOptions | undefined): FastResult {
    const result = this.#execute(sql, parameters);
    options?.afterRun?.(Number(result.numAffectedRows ?? 0n));
    return result;
  }

  generation(check = true): number {
    if (check) {
      this.#dataVersion ??= this.#sqlite.prepare('PRAGMA data_version').pluck();
      const version = this.#dataVersion.get() as number;
      if (version !== this.#lastDataVersion) {
        this.#lastDataVersion = version;
        this.#generation++;
      }
    }
    return this.#generation;
  }

  tryAtomically(statements: ReadonlyArray<AtomicStatement>): { changes: number[]; committed: Promise<void> } | null {
    if (this.#locked) return null;
    // What a Kysely transaction does, without its machinery: nothing else can run in between,
    // because all of it is synchronous.
    this.#openGroup();
    const changes: number[] = [];
    try {
      this.#run('SAVEPOINT sl_tx');
      try {
        for (const { sql, values } of statements) {
          changes.push(Number(this.#execute(sql, values).numAffectedRows ?? 0n));
        }
        this.#run('RELEASE sl_tx');
      } catch (error) {
        if (this.#sqlite.inTransaction) {
          this.#generation++;
          this.#run('ROLLBACK TO sl_tx');
          this.#run('RELEASE sl_tx');
        } else {
          this.#groupLost(error);
        }
        throw error;
      }
    } finally {
      this.#wrote = false;
      if (this.#group !== null) this.#scheduleFlush();
    }
    return { changes, committed: this.#group!.promise };
  }

  pendingCommit(): Promise<void> | null {
    return this.#group !== null && this.#groupWrote ? this.#group.promise : null;
  }

  readInBackground(sql: string, parameters: readonly unknown[]): Promise<unknown[]> | null {
    // Without a live thread the caller reads on the serving connection instead.
    return this.#checkpointer?.alive === true ? this.#checkpointer.read(sql, parameters) : null;
  }

  async init(): Promise<void> {
    this.#checkpointer = checkpointerFor(this.#sqlite);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#locked) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    this.#locked = true;
    this.#wrote = false;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const wrote = this.#wrote;
    this.#wrote = false;
    const group = this.#group;
    const next = this.#queue.shift();
    if (next !== undefined) {
      next();
    } else {
      this.#locked = false;
    }
    if (group !== null) {
      if (!this.#groupWrote) {
        // Only reads so far (a read-only transaction): end the group now, so it does not keep an
        // old snapshot in which another process's commits stay invisible until the flush.
        this.#flush();
        return;
      }
      this.#scheduleFlush();
      // Whoever wrote, or read while the group held writes, answers only once it is committed.
      if (wrote || this.#groupWrote) await group.promise;
    }
  }

  async beginTransaction(_connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    this.#openGroup();
    this.#run('SAVEPOINT sl_tx');
  }

  async commitTransaction(): Promise<void> {
    this.#run('RELEASE sl_tx');
    this.#wrote = true;
  }

  async rollbackTransaction(): Promise<void> {
    // Readers of the rolled-back rows (this transaction's own) may have cached them.
    this.#generation++;
    if (this.#sqlite.inTransaction) {
      this.#run('ROLLBACK TO sl_tx');
      this.#run('RELEASE sl_tx');
    } else {
      this.#groupLost(new Error('the group transaction was rolled back by SQLite'));
    }
  }

  async destroy(): Promise<void> {
    // COMMIT would also commit a transaction still running: let it finish first.
    if (this.#locked) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#flush();
    await this.#checkpointer?.stop();
    this.#statements.clear();
    this.#sqlite.close();
  }

  #openGroup(): void {
    if (this.#group === null) {
      this.#run('BEGIN');
      this.#group = deferred();
      this.#groupWrote = false;
    }
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Two turns of the event loop, not one: requests whose bytes arrive in the next poll phase
      // join the group too (about 8% more grants per second at 10 connections, at well under a
      // millisecond of latency).
      setImmediate(() => setImmediate(() => {
        this.#flushScheduled = false;
        // COMMIT would also end a transaction still running (awaiting something slow inside it);
        // its release schedules the next flush instead.
        if (!this.#locked) this.#flush();
      }));
    }
  }

  #flush(): void {
    const group = this.#group;
    if (group === null) return;
    this.#group = null;
    try {
      this.#run('COMMIT');
      group.resolve();
    } catch (error) {
      // Whatever was read of this group and cached never happened.
      this.#generation++;
      if (this.#sqlite.inTransaction) {
        try { this.#run('ROLLBACK'); } catch { /* the rollback error says less than the commit error */ }
      }
      group.reject(error);
    }
  }

  #statement(sql: string): SQLite.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#sqlite.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #run(sql: string): void {
    this.#statement(sql).run();
  }

  #execute<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    const stmt = this.#statement(sql);
    if (stmt.readonly) {
      return { rows: (stmt.reader ? stmt.all(parameters as unknown[]) : (stmt.run(parameters as unknown[]), [])) as R[] };
    }
    // A write outside a Kysely transaction joins the open group like any other.
    this.#openGroup();
    try {
      let result: QueryResult<R>;
      if (stmt.reader) {
        result = { rows: stmt.all(parameters as unknown[]) as R[] };
      } else {
        const { changes, lastInsertRowid } = stmt.run(parameters as unknown[]);
        result = { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
      }
      this.#wrote = true;
      this.#groupWrote = true;
      return result;
    } catch (error) {
      // Some errors (I/O, a full disk) make SQLite roll the whole transaction back.
      if (!this.#sqlite.inTransaction) this.#groupLost(error);
      throw error;
    }
  }

  #groupLost(error: unknown): void {
    this.#generation++;
    const group = this.#group;
    this.#group = null;
    group?.reject(error);
  }
}
