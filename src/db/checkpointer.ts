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
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * With `synchronous = NORMAL` a commit only appends to the WAL file; the fsyncs happen when the
 * WAL is copied back into the database (a checkpoint). SQLite does that on the committing
 * connection every 1000 pages, which stalls the event loop for milliseconds at a time, so the
 * server turns automatic checkpoints off and checkpoints from this thread instead. Durability is
 * the same either way: a commit is in the WAL file before anyone is told of it.
 */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  constructor(file: string, intervalMs = 500) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file, intervalMs } });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A failed checkpoint thread must not take the server down; SQLite's own checkpoint on close
    // still empties the WAL.
    this.#worker.on('error', () => {});
  }

  async stop(): Promise<void> {
    // Unreferenced while it runs (it must not keep a process alive), referenced while it stops.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#exited;
  }
}
