import { errorFromResponse } from './errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as an application/x-www-form-urlencoded body. */
  form?: Record<string, string | undefined>;
  /** Sent as a JSON body. */
  json?: unknown;
  redirect?: RequestRedirect;
}

/** Where the server is and how to reach it; no Node-only APIs, so a browser bundle can use it. */
export class Transport {
  readonly baseURL: string;
  private readonly fetchImpl: FetchLike;

  constructor(baseURL: string, fetchImpl?: FetchLike) {
    this.baseURL = baseURL.replace(/\/+$/, '');
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
    const res = await this.fetchImpl(this.baseURL + path, init);
    if (res.status >= 400) {
      throw await errorFromResponse(res);
    }
    return res;
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(path, options);
    return await res.json() as T;
  }
}

export function encodeParams(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) params.append(name, value);
  }
  return params.toString();
}
