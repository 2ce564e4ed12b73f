import { CompiledQuery, PostgresAdapter, type Compilable, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './rows.js';
import { fastPathOf, type RunOptions } from './sqlite/fast-path.js';
import { preparePostgresStatement } from './postgres/statements.js';

type Executor = Kysely<Database>;

/** A parameter slot in a query compiled once: `$('name')` in the builder, a value per execution. */
class Slot {
  constructor(readonly name: string) {}
}

interface Compiled {
  sql: string;
  /** Per parameter position: a slot name to fill in, or a value fixed in the query. */
  params: Array<{ slot: string } | { value: unknown }>;
}

type Build<Params, Row> = (db: Executor, $: (name: keyof Params & string) => never) => Compilable<Row> | RawBuilder<Row>;

/**
 * A query built and compiled once per dialect instead of on every request. Kysely builds an
 * immutable tree and compiles it to SQL each time, which on the token paths cost more than
 * SQLite's work; here the tree is built once, with slots where the values go, and each call only
 * fills in values. The SQL is the dialect's own, so SQLite and PostgreSQL share the code.
 * On SQLite the statement runs straight on the connection; on PostgreSQL it goes through Kysely
 * (so a transaction's query runs on its connection) and runs as a named prepared statement.
 */
export class Prepared<Params extends Record<string, unknown>, Row> {
  readonly #build: Build<Params, Row>;
  readonly #compiled = new Map<unknown, Compiled>();
  /** `build` makes a query builder, or a dialect's own SQL with the `sql` tag. */
  constructor(build: Build<Params, Row>) {
    this.#build = build;
  }

  #compile(db: Executor): Compiled {
    const adapter = db.getExecutor().adapter;
    let compiled = this.#compiled.get(adapter.constructor);
    if (compiled === undefined) {
      const built = this.#build(db, (name) => new Slot(name) as never);
      const query = 'isRawBuilder' in built ? built.compile(db) : built.compile();
      compiled = {
        sql: query.sql,
        params: query.parameters.map((p) => (p instanceof Slot ? { slot: p.name } : { value: p }))
      };
      // On PostgreSQL each connection parses and plans it once, as a named prepared statement.
      if (adapter instanceof PostgresAdapter) preparePostgresStatement(compiled.sql);
      this.#compiled.set(adapter.constructor, compiled);
    }
    return compiled;
  }

  /** The SQL for `db`'s dialect and the values in parameter order. */
  bind(db: Executor, params: Params): { sql: string; values: unknown[] } {
    const compiled = this.#compile(db);
    return { sql: compiled.sql, values: compiled.params.map((p) => ('slot' in p ? params[p.slot] : p.value)) };
  }

  /** Runs on `db`, which may be a transaction. */
  async execute(db: Executor, params: Params, options?: RunOptions): Promise<{ rows: Row[]; numAffectedRows?: bigint }> {
    const compiled = this.bind(db, params);
    const { values } = compiled;
    const fast = fastPathOf(db)?.tryRun(compiled.sql, values, db.isTransaction, options);
    if (fast !== undefined && fast !== null) {
      if (fast.committed !== undefined) await fast.committed;
      return fast as { rows: Row[]; numAffectedRows?: bigint };
    }
    const result = await db.executeQuery(CompiledQuery.raw(compiled.sql, values) as CompiledQuery<Row>);
    options?.afterRun?.(Number(result.numAffectedRows ?? 0n));
    return result;
  }

  /**
   * For a long read that may see the last committed state: on a SQLite file it runs on the
   * background thread (the event loop goes on serving); elsewhere as usual.
   */
  async background(db: Executor, params: Params): Promise<Row[]> {
    const compiled = this.bind(db, params);
    const { values } = compiled;
    const rows = fastPathOf(db)?.readInBackground(compiled.sql, values);
    if (rows !== undefined && rows !== null) return (await rows) as Row[];
    return (await db.executeQuery(CompiledQuery.raw(compiled.sql, values) as CompiledQuery<Row>)).rows;
  }

  async first(db: Executor, params: Params): Promise<Row | undefined> {
    return (await this.execute(db, params)).rows[0];
  }

  /** Rows written (INSERT/UPDATE/DELETE). */
  async run(db: Executor, params: Params, options?: RunOptions): Promise<number> {
    return Number((await this.execute(db, params, options)).numAffectedRows ?? 0n);
  }

  /** This statement with its values, for writeAtomically(). */
  with(params: Params): Write {
    return new BoundWrite(this, params);
  }
}

export interface Write {
  run(db: Executor): Promise<number>;
  bind(db: Executor): { sql: string; values: unknown[] };
}

// A class, not two closures: a grant makes several of these, and closures cost more to create.
class BoundWrite<Params extends Record<string, unknown>> implements Write {
  constructor(readonly statement: Prepared<Params, unknown>, readonly params: Params) {}
  async run(db: Executor): Promise<number> { return await this.statement.run(db, this.params); }
  bind(db: Executor): { sql: string; values: unknown[] } { return this.statement.bind(db, this.params); }
}

/**
 * Runs `writes` all or none and answers each one's changed-row count once they are committed.
 * On SQLite, when nothing holds the connection, as one synchronous savepoint of the group commit;
 * otherwise (PostgreSQL, or a busy connection) in a Kysely transaction, or inside `db` when it
 * is one already.
 */
export async function writeAtomically(db: Executor, writes: Write[]): Promise<number[]> {
  if (!db.isTransaction) {
    const fast = fastPathOf(db)?.tryAtomically(writes.map((w) => w.bind(db)));
    if (fast !== undefined && fast !== null) {
      await fast.committed;
      return fast.changes;
    }
    return await db.transaction().execute(async (trx) => await runAll(trx, writes));
  }
  return await runAll(db, writes);
}

async function runAll(db: Executor, writes: Write[]): Promise<number[]> {
  const changes: number[] = [];
  for (const write of writes) changes.push(await write.run(db));
  return changes;
}
