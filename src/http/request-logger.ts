import pino from 'pino';
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { redactURL } from './redact.js';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Record<string, unknown>;
/** pino's, which Fastify builds from the `logger` options. */
type Logger = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean; bindings?: () => Bindings };

function enabled(logger: Logger, level: string): boolean {
  return logger.isLevelEnabled?.(level) ?? true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A request's logger that makes its pino child (with the request id) only when something is
 * logged at an enabled level. Fastify makes a child per request, and with redaction configured
 * each one serialises its bindings: a few microseconds of every request, spent even when the
 * level is `warn` and nothing is ever written.
 */
class RequestLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;
  #child: Logger | null = null;

  constructor(parent: Logger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options) as Logger;
    return this.#child;
  }

  #log(level: Level, args: unknown[]): void {
    const logger = this.#child ?? this.#parent;
    if (!enabled(logger, level)) return;
    const first = args[0];
    if (this.#child === null && isPlainObject(first)) {
      // One line with the request's bindings merged in: the same output as the child's, without
      // making the child (a 5xx access line and a handler's `request.log.x({…}, msg)` take this path).
      (this.#parent[level] as (...a: unknown[]) => void)({ ...this.#bindings, ...first }, ...args.slice(1));
      return;
    }
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string { return (this.#child ?? this.#parent).level; }
  set level(level: string) { this.#real().level = level; }
  isLevelEnabled(level: string): boolean { return enabled(this.#child ?? this.#parent, level); }
  fatal(...args: unknown[]): void { this.#log('fatal', args); }
  error(...args: unknown[]): void { this.#log('error', args); }
  warn(...args: unknown[]): void { this.#log('warn', args); }
  info(...args: unknown[]): void { this.#log('info', args); }
  debug(...args: unknown[]): void { this.#log('debug', args); }
  trace(...args: unknown[]): void { this.#log('trace', args); }
  silent(): void {}
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger { return this.#real().child(bindings, options); }
  bindings(): Bindings { return this.#child?.bindings?.() ?? { ...(this.#parent.bindings?.() ?? {}), ...this.#bindings }; }
}

/** Fastify's `childLoggerFactory`: lazy request loggers, unless a route sets its own options. */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => {
  // A route-level log level or serializers: the real child, which knows what to do with them.
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new RequestLogger(logger, bindings, {}) as unknown as FastifyBaseLogger;
};

/** Errors of requests that failed, for their access line (a WeakMap: nothing to clean up). */
const failures = new WeakMap<FastifyRequest, Error>();

/**
 * Per server logger and level, a child that writes without redaction. An access line holds only
 * what requestCompleted puts in it, the URL already redacted, so the redaction paths (wildcards:
 * pino runs every value through them, ~4 µs a line) would find nothing. A 5xx line, which carries
 * an error, goes through the redacting logger.
 */
const plainLoggers = new WeakMap<object, Map<string, Logger>>();

function plainLogger(server: Logger, level: string): Logger {
  let byLevel = plainLoggers.get(server);
  if (byLevel === undefined) {
    byLevel = new Map();
    plainLoggers.set(server, byLevel);
  }
  let logger = byLevel.get(level);
  if (logger === undefined) {
    logger = server.child({}, { level, redact: { paths: [], censor: '[redacted]' } } as ChildOptions) as Logger;
    byLevel.set(level, logger);
  }
  return logger;
}

type AccessLine = (reqId: string, method: string, url: string, statusCode: number, responseTime: number, remoteAddress: string) => void;
type PinoInternals = Record<symbol, unknown> & { levels?: { values?: Record<string, number> } };
const ACCESS_KEYS = ['reqId', 'method', 'url', 'statusCode', 'responseTime', 'remoteAddress'];
const lineWriters = new WeakMap<object, AccessLine | null>();

/**
 * The access line written straight to the logger's destination: the very line pino would write
 * for `info({reqId, method, url, statusCode, responseTime, remoteAddress}, 'request completed')`
 * (its level, time and bindings taken from the logger itself, each string escaped by
 * JSON.stringify), without the generic walk over the object, its serializers and the message
 * formatting: about a microsecond less per request. Null when the logger has anything that could
 * change that line (a mixin, hooks, a log formatter, serializers or redaction of these fields, a
 * nested key, a message prefix, a destination that wants metadata): pino writes it then.
 */
function accessLineOf(logger: Logger): AccessLine | null {
  let writer = lineWriters.get(logger);
  if (writer !== undefined) return writer;
  writer = null;
  const l = logger as unknown as PinoInternals;
  const s = pino.symbols as unknown as Record<string, symbol>;
  const sym = (name: string): unknown => l[s[name] as symbol];
  const serializers = (sym('serializersSym') ?? {}) as Record<string, unknown>;
  const stringifiers = (sym('stringifiersSym') ?? {}) as Record<string | symbol, unknown>;
  const hooks = (sym('hooksSym') ?? {}) as Record<string, unknown>;
  const formatters = (sym('formattersSym') ?? {}) as Record<string, unknown>;
  const stream = sym('streamSym') as { write: (line: string) => void } & Record<symbol, unknown> | undefined;
  const lsCache = sym('lsCacheSym') as Record<number, string> | undefined;
  const time = sym('timeSym') as (() => string) | undefined;
  const end = sym('endSym') as string | undefined;
  const info = l.levels?.values?.info;
  const plain = sym('mixinSym') === undefined && hooks.logMethod === undefined && hooks.streamWrite === undefined &&
    formatters.log === undefined && sym('nestedKeySym') == null && sym('messageKeySym') === 'msg' && typeof sym('msgPrefixSym') !== 'string' &&
    ACCESS_KEYS.every((key) => serializers[key] === undefined && stringifiers[key] === undefined) && stringifiers[s.wildcardFirstSym as symbol] === undefined;
  if (plain && stream !== undefined && typeof stream.write === 'function' && stream[s.needsMetadataGsym as symbol] !== true &&
    typeof info === 'number' && typeof lsCache?.[info] === 'string' && typeof time === 'function' && typeof end === 'string') {
    const head = lsCache[info] as string;
    const chindings = s.chindingsSym as symbol;
    writer = (reqId, method, url, statusCode, responseTime, remoteAddress) => {
      stream.write(head + time.call(logger) + (l[chindings] as string) + ',"reqId":' + JSON.stringify(reqId) + ',"method":' + JSON.stringify(method) +
        ',"url":' + JSON.stringify(url) + ',"statusCode":' + statusCode + ',"responseTime":' + responseTime +
        ',"remoteAddress":' + JSON.stringify(remoteAddress) + ',"msg":"request completed"' + end);
    };
  }
  lineWriters.set(logger, writer);
  return writer;
}

/**
 * One access line per request instead of Fastify's two ("incoming request" and "request
 * completed"): written when the response has been sent, with the method, the URL with every
 * secret query value redacted, the status, the response time in ms, the client's address
 * (`request.ip`: the proxy's unless TRUST_PROXY) and the request id (the `reqId` binding). A 5xx is written at `error` with the error that caused it; everything else at
 * `info`. A route with its own log level (`logLevel`) keeps it: its lines follow that level.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const statusCode = reply.statusCode;
    const failed = statusCode >= 500 || (error !== null && error !== undefined);
    const log = request.log as Logger;
    if (!enabled(log, failed ? 'error' : 'info')) return;
    const url = redactURL(request.url);
    const responseTime = Math.round(reply.elapsedTime * 100) / 100;
    if (!failed) {
      const plain = plainLogger(request.server.log as Logger, log.level);
      const line = accessLineOf(plain);
      if (line !== null && typeof request.id === 'string' && Number.isFinite(responseTime)) line(request.id, request.method, url, statusCode, responseTime, request.ip);
      else plain.info({ reqId: request.id, method: request.method, url, statusCode, responseTime, remoteAddress: request.ip }, 'request completed');
      return;
    }
    const err = error ?? failures.get(request);
    log.error({ method: request.method, url, statusCode, responseTime, remoteAddress: request.ip, err }, 'request completed');
  }
}

/** Keeps each failing request's error for its access line. Call before any route is added. */
export function installAccessLog(app: FastifyInstance): void {
  app.addHook('onError', (request, _reply, error, done) => {
    failures.set(request, error);
    done();
  });
  // Whatever is still buffered is written when the app closes (the logger may write asynchronously).
  app.addHook('onClose', (instance, done) => {
    const log = instance.log as { flush?: (cb: (err?: Error) => void) => void };
    if (typeof log.flush !== 'function') return done();
    let finished = false;
    const finish = (): void => { if (!finished) { finished = true; done(); } };
    // A destination that cannot take the write (a closed pipe) must not hold the close up.
    setTimeout(finish, 2000).unref();
    try {
      log.flush(finish);
    } catch {
      finish();
    }
  });
}
