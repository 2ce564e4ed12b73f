import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Runs in its own thread with its own connection (plain CommonJS, so no loader is needed).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* next time */ } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'read') {
    try {
      parentPort.postMessage({ id: message.id, rows: db.prepare(message.sql).all(...message.parameters) });
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
    }
    return;
  }
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * A second connection on its own thread. With `synchronous = NORMAL` a commit only appends to the WAL file; the fsyncs happen when the
 * WAL is copied back into the database (a checkpoint). SQLite does that on the committing
 * connection every 1000 pages, which stalls the event loop for milliseconds at a time, so the
 * server turns automatic checkpoints off and checkpoints from this thread instead. Durability is
 * the same either way: a commit has been written to the WAL file before anyone is told of it, so a
 * killed process loses nothing acknowledged; a power cut can lose the last commits not yet synced
 * (that is what `synchronous = NORMAL` trades, with or without this thread).
 */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();
  #nextId = 0;

  #alive = true;
  #stopping = false;

  constructor(file: string, onDeath: () => void, intervalMs = 500) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file, intervalMs } });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A failed checkpoint thread must not take the server down; SQLite's own checkpoint on close
    // still empties the WAL.
    const died = (error: Error): void => {
      if (!this.#alive) return;
      this.#alive = false;
      this.#failAll(error);
      if (!this.#stopping) onDeath();
    };
    this.#worker.on('error', died);
    this.#worker.on('exit', () => died(new Error('the database thread has stopped')));
    this.#worker.on('message', (message: { id: number; rows?: unknown[]; error?: string }) => {
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.rows ?? []);
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Runs a long read (a count over a million rows) on this thread's connection, so it does not
   * stall the event loop. It sees the last committed state.
   */
  async read(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    if (!this.#alive) throw new Error('the database thread has stopped');
    const id = this.#nextId++;
    const rows = new Promise<unknown[]>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#worker.ref();
    this.#worker.postMessage({ type: 'read', id, sql, parameters });
    return await rows;
  }

  #failAll(error: Error): void {
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (!this.#alive) return;
    // Unreferenced while it runs (it must not keep a process alive), referenced while it stops.
    this.#worker.ref();
    this.#worker.postMessage({ type: 'stop' });
    await this.#exited;
  }
}
