import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Config } from './config.js';
import { LOG_REDACT, LOG_SERIALIZERS } from './http/redact.js';

/**
 * JSON lines are collected in memory and written once this many bytes are waiting (about 80
 * access lines of ~200 bytes), so a request never waits on a write to stdout. Each write costs
 * far more than a line (a thread-pool hop, a system call, two copies of the batch): measured on
 * the benchmark machine, an access line cost ~2.7 µs of CPU with 4 KB batches, ~1.6 µs with 16 KB
 * and ~1.1 µs with 64 KB; 16 KB keeps what a crash can lose to about 80 lines. A process killed
 * outright (kill -9, the out-of-memory killer) loses what is waiting: less than this, and never
 * more than one LOG_FLUSH_INTERVAL_MS's worth (plus, under load, a batch being written at that
 * instant). A graceful shutdown (SIGTERM, SIGINT, app.close()) and an exit, even on an uncaught
 * error (pino flushes on `exit`), lose nothing.
 */
export const LOG_BUFFER_BYTES = 16 * 1024;
/** A quiet server still writes what it logged within this many ms. */
export const LOG_FLUSH_INTERVAL_MS = 1000;
/**
 * When stdout stops taking lines (a stuck pipe), at most this much waits in memory; lines beyond
 * it are dropped and counted, and a warning says how many once stdout takes lines again.
 */
export const LOG_BACKLOG_BYTES = 16 * 1024 * 1024;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** Fields that the readable format folds into the message of an access line. */
const ACCESS_FIELDS = 'pid,hostname,reqId,method,url,statusCode,responseTime,remoteAddress';

export interface Logging {
  /** `json` (one object a line) or `pretty` (for a person at a terminal). */
  format: 'json' | 'pretty';
  /** Fastify's `logger` options: the server's level, serializers, redaction and this stream. */
  fastify: { level: string; serializers: typeof LOG_SERIALIZERS; redact: typeof LOG_REDACT; stream: DestinationStream };
  /** The server's own logger (start-up, shutdown, sweeps), on the same stream. */
  logger: Logger;
  /** Writes everything still waiting; resolves when it has been written. */
  flush: () => Promise<void>;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Every LineBatch not yet closed, drained into its destination when the process exits. */
const openBatches = new Set<LineBatch>();
let exitHook = false;

/**
 * JSON lines gathered in memory and handed to pino's asynchronous destination (SonicBoom) a whole
 * batch at a time, once `minBytes` are waiting. SonicBoom alone measures the UTF-8 length of its
 * whole pending buffer on every write (flattening it: a copy of up to `minBytes` per line, ~2-5 µs
 * of CPU per access line measured); here each line costs an append and its own length. A batch
 * reaches SonicBoom at `minBytes` or, for a quiet server, within `intervalMs`; `drain()` (flushes,
 * shutdown, the process's `exit`) hands over what is waiting at once.
 */
export class LineBatch {
  readonly #out: ReturnType<typeof pino.destination>;
  readonly #minBytes: number;
  #pending = '';
  #bytes = 0;

  constructor(out: ReturnType<typeof pino.destination>, minBytes: number, intervalMs: number) {
    this.#out = out;
    this.#minBytes = minBytes;
    setInterval(() => {
      if (this.#bytes === 0) return;
      this.drain();
      try {
        out.flush();
      } catch {
        // not open yet, or destroyed: the next interval or the exit hook tries again
      }
    }, intervalMs).unref();
    openBatches.add(this);
    if (!exitHook) {
      exitHook = true;
      // First, so pino's own exit handling (which flushes its destinations) finds every line there.
      const drainAll = (): void => { for (const batch of openBatches) batch.drain(); };
      process.prependListener('beforeExit', drainAll);
      process.prependListener('exit', drainAll);
    }
  }

  write(line: string): boolean {
    this.#pending += line;
    this.#bytes += Buffer.byteLength(line);
    if (this.#bytes >= this.#minBytes) this.drain();
    return true;
  }

  /** Hands every waiting line to the destination (which writes it when it can). */
  drain(): void {
    if (this.#bytes === 0) return;
    const chunk = this.#pending;
    this.#pending = '';
    this.#bytes = 0;
    try {
      this.#out.write(chunk);
    } catch {
      // the destination is gone (destroyed at exit, a closed pipe): nothing more can be written
    }
  }

  flush(cb?: (err?: Error) => void): void {
    this.drain();
    this.#out.flush(cb);
  }

  flushSync(): void {
    this.drain();
    this.#out.flushSync();
  }
}

/** One access line, readable: `req-1 GET /oauth20/token 200 0.83 ms`; other lines keep their message. */
function readableMessage(log: Record<string, unknown>, messageKey: string): string {
  const id = typeof log.reqId === 'string' ? `${log.reqId} ` : '';
  if (typeof log.method === 'string' && typeof log.statusCode === 'number') {
    return `${id}${log.method} ${String(log.url)} ${log.statusCode} ${String(log.responseTime)} ms`;
  }
  return `${id}${String(log[messageKey] ?? '')}`;
}

/**
 * The logging of a server process: `LOG_FORMAT=pretty` (or no LOG_FORMAT and stdout a terminal)
 * writes readable lines synchronously, for development; otherwise JSON lines go to stdout through
 * pino's asynchronous destination, in batches of LOG_BUFFER_BYTES.
 */
export function openLogging(config: Pick<Config, 'logLevel' | 'logFormat'>, stdoutIsTTY = process.stdout.isTTY === true): Logging {
  const level = config.logLevel;
  if (!LEVELS.has(level)) {
    throw new Error(`LOG_LEVEL must be one of ${[...LEVELS].join(', ')}, got "${level}"`);
  }
  const format = config.logFormat ?? (stdoutIsTTY ? 'pretty' : 'json');
  let stream: DestinationStream;
  let logger: Logger; // made once the stream exists; its listeners warn through it
  let flush: () => Promise<void>;
  if (format === 'pretty') {
    const out = pino.destination({ dest: 1, sync: true });
    const prettify = prettyFactory({
      colorize: stdoutIsTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: ACCESS_FIELDS,
      messageFormat: readableMessage
    });
    stream = {
      write: (line: string) => {
        const text = prettify(line);
        out.write(text.endsWith('\n') ? text : text + '\n');
      }
    };
    flush = async () => {};
  } else {
    // The batching is LineBatch's: SonicBoom writes each batch as it comes (minLength 1 keeps its
    // flush waiting for a write in flight).
    const out = pino.destination({ dest: 1, sync: false, minLength: 1, maxLength: LOG_BACKLOG_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
    const batch = new LineBatch(out, LOG_BUFFER_BYTES, LOG_FLUSH_INTERVAL_MS);
    stream = batch;
    let dropped = 0;
    // A dropped batch is counted by its lines.
    out.on('drop', (data: unknown) => { dropped += typeof data === 'string' ? Math.max(1, countLines(data)) : 1; });
    out.on('write', () => {
      if (dropped === 0) return;
      const lines = dropped;
      dropped = 0;
      logger.warn({ dropped: lines }, 'log lines dropped: stdout did not take them fast enough');
    });
    const flushSync = (): void => {
      try {
        batch.drain();
        out.flushSync();
      } catch {
        // not open yet, or stdout is gone: nothing more can be written
      }
    };
    // Waits for a write in flight (flushSync alone would write around it), then writes the rest.
    flush = async () => await new Promise<void>((resolve) => {
      // A stdout that takes nothing for 2 s will not take the rest either: give up rather than hang.
      const timer = setTimeout(resolve, 2000);
      try {
        batch.drain();
        out.flush(() => { clearTimeout(timer); flushSync(); resolve(); });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }
  const fastify = { level, serializers: LOG_SERIALIZERS, redact: LOG_REDACT, stream };
  logger = pino({ level, serializers: LOG_SERIALIZERS, redact: LOG_REDACT }, stream);
  return { format, fastify, logger, flush };
}
