import { errorFromResponse, SessionlinkError } from './errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as an application/x-www-form-urlencoded body. */
  form?: Record<string, string | undefined>;
  /** Sent as a JSON body. */
  json?: unknown;
  redirect?: RequestRedirect;
  /** Give up after this many ms (overrides the client's `timeout`; 0 = never). */
  timeout?: number;
  /** Abort the call from outside. */
  signal?: AbortSignal;
}

/** Per-call options every client method takes as its last argument. */
export interface CallOptions {
  /** Give up after this many ms, with a SessionlinkError `timeout` (default: the client's `timeout`). */
  timeout?: number;
  /** Abort the call; it rejects with a SessionlinkError `aborted`. */
  signal?: AbortSignal;
}

/** The CallOptions fields of an options object, and nothing else. */
export function callOptions(options: CallOptions | undefined): CallOptions {
  const picked: CallOptions = {};
  if (options?.timeout !== undefined) picked.timeout = options.timeout;
  if (options?.signal !== undefined) picked.signal = options.signal;
  return picked;
}

/** Default for the client's `timeout` option, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Where the server is and how to reach it; no Node-only APIs, so a browser bundle can use it. */
export class Transport {
  readonly baseURL: string;
  /** Default time limit of a call in ms (0 = none). */
  readonly timeout: number;
  private readonly fetchImpl: FetchLike;

  constructor(baseURL: string, fetchImpl?: FetchLike, timeout: number = DEFAULT_TIMEOUT_MS) {
    this.baseURL = baseURL.replace(/\/+$/, '');
    this.timeout = timeout;
    // Late-bound: browsers throw "Illegal invocation" on a fetch detached from window.
    this.fetchImpl = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: Record<string, string | undefined>): string {
    const q = query === undefined ? '' : encodeParams(query);
    return this.baseURL + path + (q === '' ? '' : `?${q}`);
  }

  /** Sends a request; answers the Response when it is 2xx or 3xx, throws a SessionlinkError otherwise. */
  async send(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = encodeParams(options.form);
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const init: RequestInit = { method: options.method ?? 'GET', headers, redirect: options.redirect ?? 'follow' };
    if (body !== undefined) init.body = body;
    const timeout = options.timeout ?? this.timeout;
    const signals: AbortSignal[] = [];
    if (options.signal !== undefined) signals.push(options.signal);
    const timer = timeout > 0 ? AbortSignal.timeout(timeout) : null;
    if (timer !== null) signals.push(timer);
    if (signals.length > 0) init.signal = signals.length === 1 ? signals[0]! : anySignal(signals);
    const url = this.baseURL + path;
    try {
      const res = await this.fetchImpl(url, init);
      if (res.status >= 400) {
        throw await errorFromResponse(res);
      }
      return res;
    } catch (err) {
      throw networkError(err, url, init.method as string, timeout, options.signal, timer);
    }
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(path, options);
    return await readJSON<T>(res, this.baseURL + path, { ...callOptions(options), timeout: options.timeout ?? this.timeout });
  }
}

/** AbortSignal.any, or its equivalent where a browser lacks it. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

/** A response body as JSON; a body cut off by the timeout or an abort is a SessionlinkError too. */
export async function readJSON<T>(res: Response, url: string, options: CallOptions = {}): Promise<T> {
  try {
    return await res.json() as T;
  } catch (err) {
    throw networkError(err, url, 'GET', options.timeout ?? 0, options.signal, null);
  }
}

/**
 * What went wrong below HTTP, as a SessionlinkError with status 0: `aborted` (the caller's
 * signal), `timeout`, `network_error` (refused, reset, DNS, TLS…) or `invalid_response` (a body
 * that is not JSON). A SessionlinkError already made passes through.
 */
function networkError(err: unknown, url: string, method: string, timeout: number, signal: AbortSignal | undefined, timer: AbortSignal | null): unknown {
  if (err instanceof SessionlinkError) return err;
  const where = `${method} ${url}`;
  if (signal?.aborted === true) {
    return new SessionlinkError(0, 'aborted', `${where} was aborted`, undefined, err);
  }
  if (timer?.aborted === true || (err as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new SessionlinkError(0, 'timeout', `${where} got no answer within ${timeout} ms`, undefined, err);
  }
  if (err instanceof SyntaxError) {
    return new SessionlinkError(0, 'invalid_response', `${where} answered with a body that is not JSON`, undefined, err);
  }
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
  return new SessionlinkError(0, 'network_error', `Could not reach ${where}: ${detail}`, undefined, err);
}

export function encodeParams(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) params.append(name, value);
  }
  return params.toString();
}
