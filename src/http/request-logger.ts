import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Record<string, unknown>;
/** pino's, which Fastify builds from the `logger` options. */
type Logger = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean; bindings?: () => Bindings };

function enabled(logger: Logger, level: string): boolean {
  return logger.isLevelEnabled?.(level) ?? true;
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
